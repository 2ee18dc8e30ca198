import type { JSONWebKeySet } from 'jose';
import { InvalidClient, InvalidRequest, type Client, type ClientAuthenticator, type RegisterApi } from 'authplane';
import type { KeySource, UnverifiedJwt } from '../trusted-issuers/types.js';
import type { PrivateKeyJwtOptions } from './schema.js';

export const PRIVATE_KEY_JWT = 'private_key_jwt';
/** RFC 7523 §2.2. */
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

type Kind = 'client' | 'workload';

interface Presented {
  assertion: UnverifiedJwt;
  kind: Kind;
  iss: string;
}

/** The keys a client registered (clients plugin metadata: `jwks` inline, or `jwks_uri`). */
function clientKeys(client: Client): KeySource | undefined {
  const jwks = client.metadata?.jwks as JSONWebKeySet | undefined;
  if (jwks && Array.isArray(jwks.keys)) return { jwks };
  const uri = client.metadata?.jwks_uri;
  return typeof uri === 'string' ? { jwksUri: uri } : undefined;
}

/**
 * RFC 7523 §3 checks of a client assertion, after the kernel resolved the client it names and found it registered
 * for `private_key_jwt`. A refusal is `false` (the kernel answers `invalid_client`); its reason is logged and counted.
 */
export function clientAssertionAuthenticator(api: RegisterApi, options: Readonly<PrivateKeyJwtOptions>): ClientAuthenticator {
  const accepted = api.metrics.counter({
    name: 'authplane_xaa_client_assertions_total',
    help: 'Client assertions accepted, by kind (client: the client signed it; workload: a trusted workload issuer did)',
    labelNames: ['kind'] as const,
  });
  const rejected = api.metrics.counter({
    name: 'authplane_xaa_client_assertions_rejected_total',
    help: 'Client assertions refused, by reason',
    labelNames: ['reason'] as const,
  });
  const issuer = api.config.server.issuer;
  const base = issuer.replace(/\/+$/, '');
  // RFC 7523 §3 item 3: the issuer identifies us; the token endpoint URL may be used too. The assertion also works
  // at introspection and revocation, so their URLs are accepted as well.
  const audience = [issuer, `${base}/oauth/token`, `${base}/oauth/introspect`, `${base}/oauth/revoke`];

  const refuse = (client: Client, reason: string, message: string): false => {
    rejected.inc({ reason });
    api.log.info({ client_id: client.client_id, reason, err: message }, 'client assertion refused');
    return false;
  };

  return {
    present(_request, params) {
      const type = params.client_assertion_type;
      const assertion = params.client_assertion;
      if (type === undefined && assertion === undefined) return undefined;
      if (type !== JWT_BEARER_ASSERTION) throw new InvalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
      if (assertion === undefined) throw new InvalidRequest('client_assertion is missing');
      let decoded: UnverifiedJwt;
      try {
        decoded = api.use('trustedIssuers').decode(assertion);
      } catch {
        throw new InvalidClient('client_assertion is not a JWT');
      }
      const claims = decoded.payload;
      if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string') throw new InvalidClient('client_assertion must carry iss and sub');
      // RFC 7523 §3 items 1–2: a client's own assertion has iss = sub = client_id.
      if (claims.iss === claims.sub) {
        return { clientId: claims.sub, presented: { assertion: decoded, kind: 'client', iss: claims.iss } satisfies Presented };
      }
      // Otherwise a platform signed it (workload identity): the request names the client the rules must map it to.
      if (params.client_id === undefined) throw new InvalidClient('client_id is required when the client assertion is a workload identity token');
      return { clientId: params.client_id, presented: { assertion: decoded, kind: 'workload', iss: claims.iss } satisfies Presented };
    },

    async authenticate(client, credentials) {
      const presented = credentials.presented as Presented | undefined;
      if (!presented) return false;
      const issuers = api.use('trustedIssuers');
      try {
        if (presented.kind === 'client') {
          const keys = clientKeys(client);
          if (!keys) return refuse(client, 'no_keys', 'the client registered neither jwks nor jwks_uri');
          const { payload } = await issuers.verify(presented.assertion, {
            keys,
            issuer: client.client_id,
            audience,
            requiredClaims: ['sub', 'jti'],
            maxLifetime: options.maxAssertionLifetime,
          });
          if (payload.sub !== client.client_id) return refuse(client, 'wrong_subject', 'sub is not the client_id');
          if (!(await issuers.consumeJti(client.client_id, String(payload.jti), payload.exp!))) {
            return refuse(client, 'replayed', 'the assertion jti was used before');
          }
        } else {
          const trusted = await issuers.byIssuer(presented.iss);
          if (!trusted?.enabled || !trusted.workload) return refuse(client, 'untrusted_issuer', `${presented.iss} is not an enabled workload issuer`);
          const { payload } = await issuers.verify(presented.assertion, {
            keys: { jwksUri: await issuers.jwksUri(trusted) },
            issuer: trusted.issuer,
            audience: trusted.audience ? [trusted.audience] : audience,
            requiredClaims: ['sub'],
            maxLifetime: options.maxWorkloadTokenLifetime,
          });
          if ((await issuers.workloadClient(trusted, payload)) !== client.client_id) {
            return refuse(client, 'no_workload_rule', `no workload rule of ${trusted.name} maps ${payload.sub} to this client`);
          }
        }
      } catch (err) {
        const reason = (err as { reason?: string }).reason;
        if (!reason) throw err;
        return refuse(client, reason, (err as Error).message);
      }
      accepted.inc({ kind: presented.kind });
      // A use of the client, as for the clients plugin's own methods (DCR hygiene removes clients unused for long).
      api.use('clients').touch(client.client_id);
      return true;
    },
  };
}
