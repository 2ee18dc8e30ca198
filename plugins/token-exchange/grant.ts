import {
  AccessDenied,
  defineGrant,
  echo,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  type GrantContext,
  type GrantHandler,
  type GrantResult,
  type OAuthError,
  type RegisterApi,
} from 'authplane';
import type { FrontingMatch } from '../fronting/types.js';
import type { Resource } from '../resources/types.js';
import { chainDepth, chainSubjects, stampHop, type ActHop } from './act-chain.js';
import type { ExchangeBackends } from './backends.js';
import { Denials } from './denials.js';
import { findLineage, TOKEN_EXCHANGE, type Origin } from './origin.js';
import { ACCESS_TOKEN_TYPE, checkType, verifyPresented, type PresentedToken } from './presented-token.js';
import type { TokenExchangeOptions } from './schema.js';
import type { ExchangeBackend, ExchangeOrigin } from './types.js';

/** Set when the new token carries the subject token's `cnf.jkt` with no proof of its own (see the response tap). */
export const CARRIED_BINDING = 'tokenExchangeCarriedJkt';

const scopeTokens = (scope: string) => [...new Set(scope.split(' ').filter(Boolean))];

interface Exchange {
  subject: PresentedToken['claims'];
  actor: PresentedToken['claims'] | undefined;
  act: ActHop;
}

/**
 * RFC 8693 token exchange. The kernel has authenticated a confidential client that lists the grant; this checks the
 * presented tokens, stamps the `act` chain and runs the gates in order — target registered, the target's exchange
 * policy, cross-client, scope, the user's consent — each refusal audited and counted. The new token keeps the
 * subject token's `sub`, never outlives it, and stays bound to its key when it was bound.
 */
export function tokenExchangeGrant(
  api: RegisterApi,
  options: Readonly<TokenExchangeOptions>,
  tokenTtl: number,
  backends: ExchangeBackends,
): GrantHandler<'subject_token' | 'subject_token_type'> {
  const runtime = api.runtime;
  const denials: Denials = new Denials(api.metrics, runtime);
  const exchanged = api.metrics.counter({
    name: 'authplane_token_exchange_total',
    help: 'Tokens issued by token exchange, by kind (impersonation or delegation) and source and target resource slug (issuer: this server)',
    labelNames: ['kind', 'source', 'target'] as const,
  });

  const presented = async (ctx: GrantContext<string>, role: 'subject' | 'actor', token: string) => {
    const verdict = await verifyPresented(runtime(), token);
    if (verdict === 'invalid') {
      denials.deny(ctx, `${role}_token_invalid`, new InvalidGrant(`${role}_token is not an active access token issued by this server`));
    }
    if (verdict === 'revoked') denials.deny(ctx, `${role}_token_revoked`, new InvalidGrant(`${role}_token has been revoked`));
    return verdict.claims;
  };

  /** `resource` and `audience` (RFC 8693 §2.1) both name a resource here, by URI or slug; both must name the same. */
  const resolveTarget = async (ctx: GrantContext<string>, subject: PresentedToken['claims']): Promise<Resource | undefined> => {
    const resources = runtime().use('resources');
    const named = [ctx.params.resource, ctx.params.audience].filter((v): v is string => v !== undefined);
    const found: Resource[] = [];
    for (const name of named) {
      const resource = await resources.resolve(name);
      if (!resource) denials.deny(ctx, 'target_not_registered', new InvalidTarget(`resource ${echo(name)} is not registered`), { target: name });
      if (resource.backend_kind !== 'mint' && !backends.get(resource.backend_kind)) {
        // Nothing serves its tokens: no plugin registered a backend for its kind (the broker for `broker`).
        denials.deny(ctx, 'target_not_registered', new InvalidTarget(`resource ${echo(name)} is brokered: its tokens come from the upstream provider`), { target: name });
      }
      found.push(resource);
    }
    if (found.length === 2 && found[0]!.id !== found[1]!.id) {
      denials.deny(ctx, 'target_mismatch', new InvalidTarget('resource and audience name different resources'), { resource: found[0]!.uri, audience: found[1]!.uri });
    }
    if (found[0]) return found[0];
    // No target named: the new token is for what the subject token was for.
    const audience = [subject.aud].flat()[0];
    if (audience === undefined || audience === runtime().config.server.issuer) return undefined;
    const resource = await resources.resolve(audience);
    if (!resource) denials.deny(ctx, 'target_not_registered', new InvalidTarget(`the subject token's resource ${echo(audience)} is no longer registered`), { target: audience });
    if (resource.backend_kind !== 'mint' && !backends.get(resource.backend_kind)) {
      denials.deny(ctx, 'target_not_registered', new InvalidTarget(`the subject token's resource ${echo(audience)} is brokered: its tokens come from the upstream provider`), { target: audience });
    }
    return resource;
  };

  /**
   * A target of a kind another plugin serves (the broker's `broker` resources): the gates every exchange shares, then
   * the backend answers. Delegation is refused — an upstream token carries no `act` chain to record the actor in —
   * and so are clients the target's exchange policy does not list. The subject's scopes, the user's grants upstream
   * and consent are the backend's to check: its scopes are not ours.
   */
  const viaBackend = async (
    ctx: GrantContext<'subject_token' | 'subject_token_type'>,
    subject: PresentedToken['claims'],
    target: Resource,
    backend: ExchangeBackend,
  ): Promise<GrantResult> => {
    if (ctx.params.actor_token !== undefined) {
      denials.deny(ctx, 'delegation_not_supported', new InvalidRequest(`delegation (actor_token) to a ${target.backend_kind} target is not supported`), {
        target: target.uri,
      });
    }
    checkPolicy(ctx, target, subject);
    const scopes = ctx.params.scope === undefined ? undefined : scopeTokens(ctx.params.scope);
    if (scopes?.length === 0) throw new InvalidScope('scope names no scope');
    const { origin } = await findLineage(runtime(), subject.jti, options.maxChainDepth);
    if (!origin) {
      denials.deny(ctx, 'consent_withdrawn', new AccessDenied("the subject token's original grant is no longer on record"), { subject_jti: subject.jti });
    }
    const from: ExchangeOrigin = {
      userId: isUserGrant(origin) ? origin.subject : undefined,
      clientId: origin.clientId,
      audience: origin.audience,
      grantType: origin.grantType,
    };
    const deny = (reason: string, error: OAuthError, detail: Record<string, unknown> = {}): never =>
      denials.deny(ctx, reason, error, { target: target.uri, ...detail });
    const result = await backend.exchange({ ctx, subject, target, scopes, origin: from, deny });
    // Object.assign, not literals opening with a spread: those cost a hidden class per exchange on Node 20.
    return Object.assign({}, result, {
      // RFC 8693 §2.2.1: issued_token_type is required in the response.
      extra: { issued_token_type: ACCESS_TOKEN_TYPE, ...result.extra },
      audit: Object.assign({}, result.audit, {
        userId: result.audit?.userId ?? from.userId,
        detail: { subject_jti: subject.jti, subject_client_id: subject.client_id, target: target.uri, ...result.audit?.detail },
      }),
    });
  };

  /**
   * A fronting link: the subject token is for a registered resource S, the acting client is one of S's gateways
   * (`policy.runtime.client_ids`) and an operator linked S to the target. The link stands in for the target's
   * exchange policy and the user's consent to the target: the user consented to S, which the gateway fronts.
   */
  const findFronting = async (ctx: GrantContext<string>, target: Resource | undefined, subject: PresentedToken['claims']) => {
    const audience = [subject.aud].flat()[0];
    if (!target || audience === undefined) return undefined;
    const source = await runtime().use('resources').resolve(audience);
    if (!source || source.id === target.id) return undefined;
    if (!(source.policy.runtime?.client_ids ?? []).includes(ctx.client.client_id)) return undefined;
    return runtime().use('fronting').find(source.id, target.id);
  };

  /** Through a link: the subject token's scopes mapped to target scopes the target still offers; a request narrows. */
  const frontedScopes = (ctx: GrantContext<string>, target: Resource, subject: PresentedToken['claims'], link: FrontingMatch): string[] => {
    const catalog = new Set(target.scopes.map((s) => s.name));
    const mapped = new Set(scopeTokens(subject.scope).flatMap((s) => link.scopeMap[s] ?? []).filter((s) => catalog.has(s)));
    if (ctx.params.scope === undefined) {
      if (mapped.size === 0) denials.deny(ctx, 'scope_exceeded', new InvalidScope("the fronting link maps none of the subject token's scopes to a scope the target offers"));
      return [...mapped];
    }
    const requested = scopeTokens(ctx.params.scope);
    if (requested.length === 0) throw new InvalidScope('scope names no scope');
    const beyond = requested.filter((s) => !mapped.has(s));
    if (beyond.length) denials.deny(ctx, 'scope_exceeded', new InvalidScope(`scope beyond what the fronting link maps the subject token's scopes to: ${beyond.join(' ')}`), { requested });
    return requested;
  };

  /** Gates 2 and 3: the target's `policy.exchange.allowed_client_ids`; empty lets a client exchange only its own tokens. */
  const checkPolicy = (ctx: GrantContext<string>, target: Resource | undefined, subject: PresentedToken['claims']) => {
    const allowed = target?.policy.exchange?.allowed_client_ids ?? [];
    const acting = ctx.client.client_id;
    const where = target ? `resource ${echo(target.uri)}` : 'this issuer';
    if (allowed.length > 0 && !allowed.includes(acting)) {
      denials.deny(ctx, 'client_not_allowed', new AccessDenied(`client ${echo(acting)} may not exchange tokens for ${where}`), { subject_client_id: subject.client_id });
    }
    if (acting !== subject.client_id && !allowed.includes(acting)) {
      denials.deny(
        ctx,
        'cross_client_not_allowed',
        new AccessDenied(`the subject token was issued to another client; exchanging it for ${where} needs client ${echo(acting)} in the resource's exchange policy`),
        { subject_client_id: subject.client_id },
      );
    }
  };

  /** Gate 4: only narrows. Omitted: all of the subject token's scopes the target offers. */
  const grantScopes = (ctx: GrantContext<string>, target: Resource | undefined, subject: PresentedToken['claims']): string[] => {
    const held = scopeTokens(subject.scope);
    const catalog = target ? new Set(target.scopes.map((s) => s.name)) : undefined;
    const offered = (s: string) => !catalog || catalog.has(s);
    if (ctx.params.scope === undefined) {
      const scopes = held.filter(offered);
      if (scopes.length === 0) denials.deny(ctx, 'scope_exceeded', new InvalidScope("none of the subject token's scopes is offered by the target"));
      return scopes;
    }
    const requested = scopeTokens(ctx.params.scope);
    if (requested.length === 0) throw new InvalidScope('scope names no scope');
    const beyond = requested.filter((s) => !held.includes(s));
    if (beyond.length) denials.deny(ctx, 'scope_exceeded', new InvalidScope(`scope beyond the subject token's: ${beyond.join(' ')}`), { requested });
    const unknown = requested.filter((s) => !offered(s));
    if (unknown.length) denials.deny(ctx, 'scope_exceeded', new InvalidScope(`scope not offered by the target: ${unknown.join(' ')}`), { requested });
    return requested;
  };

  /** Gate 5: a token derived from a user's grant goes no further than the user's consent to the original client. */
  const checkConsent = async (ctx: GrantContext<string>, exchange: Exchange, origin: Origin | undefined, scopes: string[]) => {
    const self = ctx.client.client_id === exchange.subject.client_id;
    if (self && options.allowSelfExchange) return;
    if (!origin) {
      denials.deny(ctx, 'consent_withdrawn', new AccessDenied("the subject token's original grant is no longer on record"), { subject_jti: exchange.subject.jti });
    }
    if (!isUserGrant(origin)) return;
    const stands = await runtime().use('consents').stands(origin.subject, origin.clientId, origin.audience[0] ?? '', scopes);
    if (!stands) {
      denials.deny(ctx, 'consent_withdrawn', new AccessDenied("the user's consent for the subject token no longer covers this exchange"), {
        user_id: origin.subject,
        consent_client_id: origin.clientId,
      });
    }
  };

  const slug = async (uri: string | undefined) => {
    if (uri === undefined || uri === runtime().config.server.issuer) return 'issuer';
    return (await runtime().use('resources').resolve(uri))?.slug ?? 'unregistered';
  };

  return defineGrant({
    requiredParams: ['subject_token', 'subject_token_type'],
    allowPublicClients: false,
    tokenTtl,
    async handle(ctx) {
      const { params, client } = ctx;
      checkType('subject', params.subject_token_type);
      if ((params.actor_token === undefined) !== (params.actor_token_type === undefined)) {
        throw new InvalidRequest('actor_token and actor_token_type go together: send both or neither');
      }
      if (params.actor_token !== undefined) checkType('actor', params.actor_token_type);
      if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
        // RFC 8693 §2.1: the server issues access tokens only; any other type cannot be honoured.
        throw new InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
      }

      const subject = await presented(ctx, 'subject', params.subject_token);
      const target = await resolveTarget(ctx, subject);
      const backend = target && target.backend_kind !== 'mint' ? backends.get(target.backend_kind) : undefined;
      if (backend) return viaBackend(ctx, subject, target!, backend);

      const actor = params.actor_token !== undefined ? await presented(ctx, 'actor', params.actor_token) : undefined;
      // Impersonation: the acting client is the new hop. Delegation: the actor token's subject is.
      const act = stampHop(actor ? { sub: actor.sub, client_id: actor.client_id } : { sub: client.client_id }, subject.act);
      const depth = chainDepth(act);
      if (depth > options.maxChainDepth) {
        denials.deny(ctx, 'chain_too_deep', new InvalidRequest(`the act chain would be ${depth} hops deep; tokenExchange.maxChainDepth allows ${options.maxChainDepth}`), { depth });
      }

      const link = await findFronting(ctx, target, subject);
      if (!link) checkPolicy(ctx, target, subject);
      const scopes = link ? frontedScopes(ctx, target!, subject, link) : grantScopes(ctx, target, subject);
      const { origin, grantRef } = await findLineage(runtime(), subject.jti, options.maxChainDepth);
      // Through a link the consent that must still stand is the one to the source, for the scopes the token holds.
      await checkConsent(ctx, { subject, actor, act }, origin, link ? scopeTokens(subject.scope) : scopes);

      // Never outlive the subject token: revoking or expiring it must not leave a longer-lived copy behind.
      const remaining = subject.exp - Math.floor(runtime().now() / 1000);
      const claims: Record<string, unknown> = { act };
      const jkt = (subject.cnf as { jkt?: unknown } | undefined)?.jkt;
      if (typeof jkt === 'string') {
        // A bound subject token stays bound: a proof on this request rebinds (the dpop plugin's claims tap replaces
        // jkt), without one the key carries over — never a Bearer copy of a sender-constrained token.
        claims.cnf = { jkt };
        ctx.state[CARRIED_BINDING] = true;
      }
      const audience = target ? [target.uri] : [runtime().config.server.issuer];
      const accessToken = await ctx.issueAccessToken({
        subject: subject.sub,
        audience,
        scope: scopes.join(' '),
        ttl: Math.min(tokenTtl, remaining),
        claims,
        parentJti: subject.jti,
        grantRef,
      });
      const kind = actor ? 'delegation' : 'impersonation';
      exchanged.inc({ kind, source: await slug([subject.aud].flat()[0]), target: target?.slug ?? 'issuer' });
      return {
        accessToken,
        extra: { issued_token_type: ACCESS_TOKEN_TYPE },
        audit: {
          action: 'token_exchanged',
          ...(isUserGrant(origin) ? { userId: origin.subject } : {}),
          detail: {
            kind,
            act,
            actors: chainSubjects(act),
            subject_jti: subject.jti,
            subject_client_id: subject.client_id,
            ...(actor ? { actor_jti: actor.jti } : {}),
            ...(link ? { fronting_link_id: link.id } : {}),
          },
        },
      };
    },
  });
}

/** A grant a user gave (authorization code, refresh): its subject is a user, not the client itself. */
function isUserGrant(origin: Origin | undefined): origin is Origin {
  return !!origin && origin.grantType !== 'client_credentials' && origin.subject !== origin.clientId;
}

export { TOKEN_EXCHANGE };
