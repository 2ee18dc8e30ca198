import type { Context } from 'koa';
import { adminActor, booted, notFound, printRecords, type RegisterApi, type RuntimeApi } from 'authplane';
import type { OAuthState } from './context.js';
import { consentRef, revokeFamilyLineages } from './lineage.js';

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
    async listGrants(runtime: RuntimeApi, userId: string) {
      const user = await userOrThrow(runtime, userId);
      const consents = await state.consents().forUser(user.id);
      const families = await state.refresh().activeFamilies(user.id);
      const resources = new Map((await runtime.use('resources').list()).map((r) => [r.id, r]));
      return {
        user_id: user.id,
        consents: consents.map((c) => ({
          id: c.id,
          type: 'consent',
          client_id: c.client_id,
          resource: resources.get(c.resource_id)?.uri ?? null,
          resource_id: c.resource_id,
          scopes: c.scopes,
          created_at: new Date(c.created_at).toISOString(),
          updated_at: new Date(c.updated_at).toISOString(),
        })),
        refresh_families: families.map((f) => ({
          id: f.id,
          client_id: f.client_id,
          resource: resources.get(f.resource_id)?.uri ?? null,
          expires_at: new Date(Number(f.expires_at)).toISOString(),
        })),
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
    ctx.body = await ops.listGrants(api.runtime(), ctx.params.id!);
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
    description: "List a user's consents and live refresh-token families",
    usage: '<user-id|email>',
    options: { json: { type: 'boolean', description: 'Print JSON' } },
    run: booted(async ({ args, options, out }) => {
      const grants = await ops.listGrants(api.runtime(), required(args[0]));
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
