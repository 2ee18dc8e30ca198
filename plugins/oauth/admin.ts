import type { Context } from 'koa';
import { adminActor, booted, cursorAt, linkNext, pageQuery, printRecords, notFound, type PageOrder, type RegisterApi, type RuntimeApi } from 'authplane';
import type { OAuthState } from './context.js';
import type { ConsentRow } from './consents.js';
import { consentRef, revokeFamilyLineages } from './lineage.js';

/**
 * `GET /admin/users/{id}/grants` pages two lists in sequence under one cursor: the consents, then the live refresh
 * families. The cursor's first key says which (0 consents, 1 families), the others are that list's own keys.
 */
const GRANTS_ORDER: PageOrder = {
  list: 'user-grants',
  direction: 'asc',
  keys: [
    { column: 'part', type: 'number' },
    { column: 'time', type: 'number' },
    { column: 'id', type: 'string' },
  ],
};
/** Families resume after this: before every row in their ascending (created_at, id) order. */
const FAMILIES_START = [-1, ''] as const;

/**
 * Grants a user holds (consents, live refresh families) and force-logout. Shared by the admin API and the CLI:
 * each operation takes the runtime and plain arguments.
 */
export function grantOperations(state: OAuthState) {
  const userOrThrow = async (runtime: RuntimeApi, id: string) => {
    const user = (await runtime.use('users').get(id)) ?? (await runtime.use('users').findByEmail(id));
    if (!user) throw notFound(`user '${id}' does not exist`);
    return user;
  };
  return {
    /** One page of the user's grants (`raw`: `limit`, `cursor`): consents first, then live refresh families. */
    async listGrants(runtime: RuntimeApi, userId: string, raw: Readonly<Record<string, unknown>> = {}) {
      const user = await userOrThrow(runtime, userId);
      const { page } = pageQuery(raw, GRANTS_ORDER, [], { user: user.id });
      const [part, time, id] = page.after ?? [0];
      let consents: ConsentRow[] = [];
      let next: string | null = null;
      if (part === 0) {
        const found = await state.consents().page(user.id, { ...page, after: time === undefined ? undefined : [time, id!] });
        consents = found.rows;
        const last = consents[consents.length - 1];
        if (found.next !== null) next = cursorAt(page, [0, last!.updated_at, last!.id]);
      }
      // The families fill what the consents left of the page; with nothing left, one row read says whether any follow.
      const familyAfter = part === 1 ? [Number(time), String(id)] : [...FAMILIES_START];
      const room = page.limit - consents.length;
      const found = next === null ? await state.refresh().familyPage(user.id, { ...page, limit: Math.max(room, 1), after: familyAfter }) : undefined;
      const families = room > 0 ? (found?.rows ?? []) : [];
      if (found && (room > 0 ? found.next !== null : found.rows.length > 0)) {
        const last = families[families.length - 1];
        next = cursorAt(page, last ? [1, Number(last.created_at), last.id] : [1, ...FAMILIES_START]);
      }
      const resources = new Map<string, string | null>();
      for (const resourceId of new Set([...consents, ...families].map((g) => g.resource_id))) {
        resources.set(resourceId, (await runtime.use('resources').get(resourceId))?.uri ?? null);
      }
      return {
        user_id: user.id,
        consents: consents.map((c) => ({
          id: c.id,
          type: 'consent',
          client_id: c.client_id,
          resource: resources.get(c.resource_id) ?? null,
          resource_id: c.resource_id,
          scopes: c.scopes,
          created_at: new Date(c.created_at).toISOString(),
          updated_at: new Date(c.updated_at).toISOString(),
        })),
        refresh_families: families.map((f) => ({
          id: f.id,
          client_id: f.client_id,
          resource: resources.get(f.resource_id) ?? null,
          expires_at: new Date(Number(f.expires_at)).toISOString(),
        })),
        next,
      };
    },

    /** Revokes every refresh family (with its access tokens and their derivatives) and session of the user. */
    async revokeUserTokens(runtime: RuntimeApi, userId: string, actor: string) {
      const user = await userOrThrow(runtime, userId);
      const familyIds = await state.refresh().revokeWhere({ user_id: user.id }, 'admin_logout');
      const accessTokens = await revokeFamilyLineages(state, familyIds, 'admin_logout');
      const sessions = await state.sessions().revokeUser(user.id);
      const families = familyIds.length;
      runtime.audit.emit({
        action: 'token_revoked',
        actor_id: actor,
        user_id: user.id,
        detail: { reason: 'admin_logout', families, sessions, access_tokens: accessTokens },
      });
      return { revoked: families + sessions, refresh_families: families, sessions, access_tokens: accessTokens };
    },

    /**
     * Deletes a consent; the refresh families it allowed and every access token resting on it go with it (and the
     * tokens exchanged from those), so the client must ask again.
     */
    async revokeConsent(runtime: RuntimeApi, consentId: string, actor: string) {
      const consent = await state.consents().get(consentId);
      if (!consent) throw notFound(`consent '${consentId}' does not exist`);
      await state.consents().delete(consentId);
      const familyIds = await state.refresh().revokeWhere(
        { user_id: consent.user_id, client_id: consent.client_id, resource_id: consent.resource_id },
        'consent_revoked',
      );
      const families = familyIds.length;
      // The tokens resting on the consent itself (clients that may not refresh), those of its families, and every
      // token exchanged from any of them.
      const accessTokens =
        (await runtime.tokens.revokeLineage({ grantRef: consentRef(consentId) }, 'consent_revoked')) +
        (await revokeFamilyLineages(state, familyIds, 'consent_revoked'));
      runtime.audit.emit({
        action: 'consent_revoked',
        actor_id: actor,
        user_id: consent.user_id,
        client_id: consent.client_id,
        detail: { consent_id: consentId, refresh_families: families, access_tokens: accessTokens },
      });
    },
  };
}

export function registerGrantAdmin(api: RegisterApi, state: OAuthState): void {
  const ops = grantOperations(state);
  // The signed-in console user (`user:<id>`) or `admin-api`, as on every admin route.
  const actor = (ctx: Context) => ({ actor: adminActor(ctx).actor_id });
  api.route('admin', 'GET', '/admin/users/:id/grants', async (ctx) => {
    const grants = await ops.listGrants(api.runtime(), ctx.params.id!, ctx.query);
    linkNext(ctx, grants.next);
    ctx.body = grants;
  });
  api.route('admin', 'DELETE', '/admin/users/:id/tokens', async (ctx) => {
    const result = await ops.revokeUserTokens(api.runtime(), ctx.params.id!, actor(ctx).actor);
    ctx.body = result;
  });
  api.route('admin', 'DELETE', '/admin/grants/consent/:id', async (ctx) => {
    await ops.revokeConsent(api.runtime(), ctx.params.id!, actor(ctx).actor);
    ctx.status = 204;
  });

  api.registries.cliCommands.register('admin user grants', {
    description: "List a user's consents and live refresh-token families (every page)",
    usage: '<user-id|email>',
    options: {
      limit: { type: 'string', description: 'Grants read per page, 1-1000 (default 100)' },
      json: { type: 'boolean', description: 'Print JSON' },
    },
    run: booted(async ({ args, options, out }) => {
      // A user's grants are few: every page is gathered, then printed as one.
      const limit = typeof options.limit === 'string' ? { limit: options.limit } : {};
      let grants = await ops.listGrants(api.runtime(), required(args[0]), limit);
      while (grants.next !== null) {
        const more = await ops.listGrants(api.runtime(), required(args[0]), { ...limit, cursor: grants.next });
        grants = { ...more, consents: [...grants.consents, ...more.consents], refresh_families: [...grants.refresh_families, ...more.refresh_families] };
      }
      if (options.json === true) out(JSON.stringify(grants, null, 2));
      else printRecords(out, false, 'consents', grants.consents.map((c) => ({ id: c.id, client_id: c.client_id, resource: c.resource, scopes: c.scopes.join(' ') })));
    }),
  });
  api.registries.cliCommands.register('admin user logout', {
    description: "Force-logout: revoke every refresh token family and session of a user",
    usage: '<user-id|email>',
    run: booted(async ({ args, out }) => {
      const result = await ops.revokeUserTokens(api.runtime(), required(args[0]), 'cli');
      out(`revoked ${result.revoked} (refresh families: ${result.refresh_families}, sessions: ${result.sessions})`);
    }),
  });
  api.registries.cliCommands.register('admin consent revoke', {
    description: 'Delete a consent and revoke the refresh tokens it allowed',
    usage: '<consent-id>',
    run: booted(async ({ args, out }) => {
      await ops.revokeConsent(api.runtime(), required(args[0]), 'cli');
      out(`consent ${args[0]} revoked`);
    }),
  });
}

function required(value: string | undefined): string {
  if (!value) throw new Error('an id is required (see --help)');
  return value;
}
