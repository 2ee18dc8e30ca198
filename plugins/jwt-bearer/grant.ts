import {
  AccessDenied,
  defineGrant,
  echo,
  InvalidClient,
  InvalidGrant,
  InvalidScope,
  InvalidTarget,
  type GrantContext,
  type GrantHandler,
  type OAuthError,
  type RegisterApi,
} from 'authplane';
import type { Resource } from '../resources/types.js';
import type { TrustedIssuer } from '../trusted-issuers/types.js';
import type { XaaPolicy, XaaStore } from './policies.js';
import type { JwtBearerOptions } from './schema.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** draft-ietf-oauth-identity-assertion-authz-grant: the ID-JAG's JOSE header type and its grant profile. */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';

const scopeTokens = (scope: unknown) => (typeof scope === 'string' ? [...new Set(scope.split(' ').filter(Boolean))] : undefined);

/**
 * RFC 7523 §2.1 / §3 with the ID-JAG profile: a confidential client presents an Identity Assertion JWT Authorization
 * Grant its user's IdP minted for it, and gets an access token for that user without a browser. Checks in order:
 * `typ`, a registered enabled issuer, signature and `aud`/`exp`/`iat` (through `trustedIssuers`), the
 * assertion's `client_id` is the authenticated client, `jti` single use, the resource, a matching Cross-App Access
 * policy, the subject mapping, the scope. Every refusal is audited (`jwt_bearer_denied`) and counted.
 */
export function jwtBearerGrant(api: RegisterApi, options: Readonly<JwtBearerOptions>, tokenTtl: number, store: XaaStore): GrantHandler<'assertion'> {
  const runtime = api.runtime;
  const issued = api.metrics.counter({
    name: 'authplane_xaa_grants_total',
    help: 'Access tokens issued for an ID-JAG (jwt-bearer grant), by trusted issuer name',
    labelNames: ['idp'] as const,
  });
  const denied = api.metrics.counter({
    name: 'authplane_xaa_grants_denied_total',
    help: 'jwt-bearer (ID-JAG) token requests refused, by reason',
    labelNames: ['reason'] as const,
  });
  type Deny = (ctx: GrantContext<string>, reason: string, error: OAuthError, detail?: Record<string, unknown>) => never;
  const deny: Deny = (ctx, reason, error, detail = {}) => {
    denied.inc({ reason });
    runtime().audit.emit({
      action: 'jwt_bearer_denied',
      actor_id: ctx.client.client_id,
      client_id: ctx.client.client_id,
      ip: ctx.request.ip,
      request_id: ctx.request.requestId,
      detail: { reason, error: error.error, ...detail },
    });
    throw error;
  };

  /** RFC 8707 `resource` of the request and the ID-JAG's `resource` claim: the request may only pick among the claim's. */
  const target = async (ctx: GrantContext<string>, claim: unknown, idp: TrustedIssuer): Promise<Resource | undefined> => {
    const allowed = claim === undefined ? undefined : [claim].flat().filter((r): r is string => typeof r === 'string');
    const named = ctx.params.resource ?? allowed?.[0];
    if (named === undefined) return undefined;
    if (allowed && !allowed.includes(named)) {
      deny(ctx, 'resource_not_asserted', new InvalidTarget(`the ID-JAG does not grant access to ${echo(named)}`), { idp: idp.name });
    }
    const resource = await runtime().use('resources').resolve(named);
    if (!resource || resource.backend_kind !== 'mint') {
      deny(ctx, 'resource_not_registered', new InvalidTarget(`resource ${echo(named)} is not registered for issued tokens`), { idp: idp.name });
    }
    return resource;
  };

  /** An enabled policy of this issuer listing (or not restricting) this client and resource. */
  const matching = (policies: XaaPolicy[], clientId: string, resource: Resource | undefined) =>
    policies.filter(
      (p) =>
        p.enabled &&
        (p.client_ids.length === 0 || p.client_ids.includes(clientId)) &&
        (p.resources.length === 0 || (resource !== undefined && p.resources.includes(resource.uri))),
    );

  return defineGrant({
    requiredParams: ['assertion'],
    allowPublicClients: false,
    tokenTtl,
    async handle(ctx) {
      const issuers = runtime().use('trustedIssuers');
      let unverified;
      try {
        unverified = issuers.decode(ctx.params.assertion);
      } catch {
        deny(ctx, 'malformed', new InvalidGrant('assertion is not a JWT'));
      }
      const iss = typeof unverified.payload.iss === 'string' ? unverified.payload.iss : undefined;
      const idp = iss === undefined ? undefined : await issuers.byIssuer(iss);
      if (!idp) deny(ctx, 'untrusted_issuer', new InvalidGrant('the assertion issuer is not trusted'), { iss: iss ?? null });
      if (!idp.enabled) deny(ctx, 'issuer_disabled', new InvalidGrant('the assertion issuer is disabled'), { idp: idp.name });

      let payload;
      try {
        ({ payload } = await issuers.verify(unverified, {
          keys: { jwksUri: await issuers.jwksUri(idp) },
          issuer: idp.issuer,
          audience: [idp.audience ?? runtime().config.server.issuer],
          typ: ID_JAG_TYP,
          requiredClaims: ['sub', 'iat', 'jti', 'client_id'],
          maxAge: options.maxAssertionAge,
        }));
      } catch (err) {
        const reason = (err as { reason?: string }).reason;
        if (!reason) throw err;
        // The IdP's own failure (keys unreachable) is logged with its detail; the client learns only that.
        const message = reason === 'jwks_unavailable' ? "the issuer's keys could not be fetched" : (err as Error).message;
        if (reason === 'jwks_unavailable') api.log.warn({ idp: idp.name, err: (err as Error).message }, 'trusted issuer keys unavailable');
        deny(ctx, reason, new InvalidGrant(message), { idp: idp.name });
      }
      const detail = { idp: idp.name, idp_subject: payload!.sub, assertion_jti: payload!.jti };
      // draft §4.3: the ID-JAG was minted for one client; another client presenting it is not that client.
      if (payload!.client_id !== ctx.client.client_id) {
        deny(ctx, 'client_mismatch', new InvalidClient('the assertion was issued to another client'), detail);
      }
      if (!(await issuers.consumeJti(idp.issuer, String(payload!.jti), payload!.exp!))) {
        deny(ctx, 'replayed', new InvalidGrant('the assertion was already used'), detail);
      }

      const resource = await target(ctx, payload!.resource, idp);
      const policies = matching(await store.policiesOf(idp.id), ctx.client.client_id, resource);
      if (policies.length === 0) {
        deny(ctx, 'policy_denied', new AccessDenied('no Cross-App Access policy allows this client and resource for the issuer'), Object.assign({}, detail, { resource: resource?.uri ?? null }));
      }

      // Effective scope = client ceiling ∩ assertion ∩ request ∩ policy (∩ the resource's catalog); each absent set is no limit.
      const policyScopes = policies.some((p) => p.scopes.length === 0) ? undefined : new Set(policies.flatMap((p) => p.scopes));
      const catalog = resource ? new Set(resource.scopes.map((s) => s.name)) : undefined;
      const asserted = scopeTokens(payload!.scope);
      const requested = scopeTokens(ctx.params.scope);
      const scopes = (scopeTokens(ctx.client.scope) ?? []).filter(
        (s) => (!asserted || asserted.includes(s)) && (!requested || requested.includes(s)) && (!policyScopes || policyScopes.has(s)) && (!catalog || catalog.has(s)),
      );
      if (scopes.length === 0) deny(ctx, 'scope_empty', new InvalidScope('no scope is allowed by the client, the assertion, the request and the policy together'), detail);

      const mapped = await store.mappedSubject(idp.id, String(payload!.sub));
      if (mapped === undefined && idp.subject_mode === 'strict') {
        deny(ctx, 'subject_not_mapped', new AccessDenied('the asserted user is not mapped to a local subject'), detail);
      }
      const subject = mapped ?? `${idp.issuer}:${payload!.sub}`;
      const accessToken = await ctx.issueAccessToken({
        subject,
        audience: resource ? [resource.uri] : [runtime().config.server.issuer],
        scope: scopes.join(' '),
        // RFC 8693 §4.1: the IdP acted to get this token for the user.
        claims: { act: { sub: idp.issuer } },
      });
      issued.inc({ idp: idp.name });
      return { accessToken, audit: { action: 'jwt_bearer_issued', userId: subject, detail: Object.assign({}, detail, { policy_ids: policies.map((p) => p.id), mapped: mapped !== undefined }) } };
    },
  });
}
