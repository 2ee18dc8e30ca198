import { verify } from 'node:crypto';
import type { Knex } from 'knex';
import type { SyncReader, IssuanceRecord, IssueAccessTokenInput, IssuedAccessToken, JwtClaims, KeyRing, TokenIssuer } from '../contracts.js';
import { ServerError } from '../errors.js';
import type { HookCatalog } from '../hooks.js';
import { decodeSignature } from '../keys/es256.js';
import { GroupCommitWriter } from '../storage/group-commit.js';
import { uuidv7 } from '../storage/ids.js';
import type { Dialect } from '../storage/dialect.js';
import { existsLookup, rowLookup } from '../fast-path/driver-statements.js';
import { inTrace, serviceSpan } from '../observe/tracing.js';
import { VerifiedTokens } from './verified-tokens.js';
import { revokeLineage } from './lineage.js';

/** The issuer as the kernel holds it: plugins see only the TokenIssuer part; grants issue through their context. */
export interface AccessTokenIssuer extends TokenIssuer {
  /** Signs an RFC 9068 access token and resolves once its issuance row is durable (group commit). */
  issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken>;
  drain(): Promise<void>;
}

/** token_issuances.grant_ref's width (migrations/kernel/0002_issuance_lineage.ts). */
const GRANT_REF_MAX = 128;
/** token_issuances.resource's width (migrations/kernel/0003_issuance_resource.ts), in bytes: it is indexed. */
const RESOURCE_MAX_BYTES = 2048;

/** The indexed `resource` of an issuance row: its audience when it has exactly one that fits, else NULL. */
function indexedResource(audience: readonly string[]): string | null {
  if (audience.length !== 1) return null;
  const only = audience[0]!;
  return only.length <= RESOURCE_MAX_BYTES / 4 || Buffer.byteLength(only) <= RESOURCE_MAX_BYTES ? only : null;
}

const ISSUANCE_COLUMNS = ['jti', 'subject', 'client_id', 'audience', 'grant_type', 'parent_jti', 'grant_ref'] as const;
type IssuanceRow = {
  jti: string;
  subject: string;
  client_id: string;
  audience: string | string[];
  grant_type: string;
  parent_jti: string | null;
  grant_ref: string | null;
};

/** RFC 9068 §2.1: the media type of a JWT access token, in the `typ` header. */
const ACCESS_TOKEN_TYP = { typ: 'at+jwt' };

/**
 * Claims → `accessTokenClaims` taps → issuance row → sign. The row goes through group commit, so the caller answers
 * only once it is durable; signing is synchronous (every lookup a claim needs was done earlier, by the grant or a
 * `tokenRequest` tap) and runs while the row's batch commits (`write(row, during)`), the token handed out only after
 * the commit. Not before the row is queued: work done before a request's row is queued lengthens the part of the loop
 * turn in which no response goes out, so the turn takes smaller batches (the three placements measured:
 * docs/performance.md). A row whose token then fails to sign describes a token nobody received, as a response lost
 * on the way would.
 */
export function createTokenIssuer(options: {
  issuer: string;
  keys: KeyRing;
  hooks: HookCatalog;
  maxTtl: number;
  db: () => Knex;
  dialect: () => Dialect;
  reader: () => SyncReader | undefined;
  /** Milliseconds since the epoch: `iat`, `exp` and every expiry check (CreateOptions.now). */
  now?: () => number;
}): AccessTokenIssuer {
  const { issuer, keys, hooks, maxTtl, db, dialect, reader, now = Date.now } = options;
  const claimHook = hooks.accessTokenClaims;
  const tapped = claimHook.isUsed();
  const issuances = new GroupCommitWriter(db, dialect, 'token_issuances');
  const verified = new VerifiedTokens();
  const denylisted = existsLookup(db, dialect, 'token_denylist', 'jti', reader);
  const issuanceRow = rowLookup<IssuanceRow>(db, dialect, 'token_issuances', 'jti', ISSUANCE_COLUMNS, reader);
  const issuance = async (jti: string): Promise<IssuanceRecord | undefined> => {
    const row = await issuanceRow(jti);
    if (!row) return undefined;
    return {
      jti: row.jti,
      subject: row.subject,
      clientId: row.client_id,
      audience: typeof row.audience === 'string' ? (JSON.parse(row.audience) as string[]) : row.audience,
      grantType: row.grant_type,
      parentJti: row.parent_jti ?? null,
      grantRef: row.grant_ref ?? null,
    };
  };
  const parentGrantRef = async (jti: string): Promise<string | null> => (await issuance(jti))?.grantRef ?? null;

  // With tracing on, a span for the issuance (claims, signature, the issuance row) and one under it for the row's
  // group commit: the wait for the batch holding it to be durable.
  const issuanceSpan = { kind: 'client' as const, attributes: { 'db.operation.name': 'INSERT', 'db.collection.name': 'token_issuances' } };

  async function issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
    if (!(input.ttl > 0) || input.ttl > maxTtl) {
      // A token outliving signing.retiredKeyRetention could outlive its key in the JWKS.
      throw new ServerError('token lifetime is not configured correctly', {
        cause: new Error(`ttl ${input.ttl}s is outside 1..${maxTtl}s (signing.retiredKeyRetention)`),
      });
    }
    if (input.grantRef != null && !(input.grantRef.length > 0 && input.grantRef.length <= GRANT_REF_MAX)) {
      // Refused before the row is queued: a row the column cannot hold would fail its whole batch.
      throw new ServerError('the grant issued a token with an unusable grant reference', {
        cause: new Error(`grantRef must be 1..${GRANT_REF_MAX} characters, got ${input.grantRef.length}`),
      });
    }
    const iat = Math.floor(now() / 1000);
    const jti = uuidv7();
    let claims: JwtClaims = {
      iss: issuer,
      sub: input.subject,
      aud: [...input.audience],
      exp: iat + input.ttl,
      iat,
      jti,
      client_id: input.clientId,
      scope: input.scope,
      ...input.claims,
    };
    if (tapped) claims = claimHook.call(claims, { input });
    // A derived token rests on what its parent rests on. Only a derived token whose grant did not say (undefined)
    // reads the parent's row, before the claims are signed; client_credentials and the authorization code never do.
    const grantRef = input.grantRef !== undefined ? input.grantRef : input.parentJti !== undefined ? await parentGrantRef(input.parentJti) : null;
    const cnf = claims.cnf as { jkt?: string } | undefined;
    const row = {
      jti,
      subject: input.subject,
      client_id: input.clientId,
      audience: JSON.stringify(input.audience),
      resource: indexedResource(input.audience),
      scope: input.scope,
      grant_type: input.grantType,
      issued_at: iat * 1000,
      expires_at: (iat + input.ttl) * 1000,
      revoked_at: null,
      parent_jti: input.parentJti ?? null,
      cnf_jkt: cnf?.jkt ?? null,
      grant_ref: grantRef,
    };
    const sign = () => keys.sign(ACCESS_TOKEN_TYP, claims);
    const signed = inTrace()
      ? await serviceSpan('INSERT token_issuances', issuanceSpan, () => issuances.write(row, sign))
      : await issuances.write(row, sign);
    // A key held in memory signs at once; a store that signs (Vault) answers later.
    const token = typeof signed === 'string' ? signed : await signed;
    return { token, jti, kid: keys.currentKid, claims, issuedAt: iat, expiresAt: iat + input.ttl };
  }

  return {
    issueAccessToken: (input: IssueAccessTokenInput) =>
      inTrace()
        ? serviceSpan('token.issue', { attributes: { 'authplane.grant_type': input.grantType, 'authplane.client_id': input.clientId } }, () => issueAccessToken(input))
        : issueAccessToken(input),

    verifyAccessToken(token: string): JwtClaims | undefined {
      const known = verified.get(token);
      if (known) {
        if ((known.claims.exp as number) > now() / 1000 && keys.publicKey(known.kid)) return known.claims;
        verified.delete(token);
        return undefined;
      }
      const parts = token.split('.');
      if (parts.length !== 3) return undefined;
      try {
        const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
        if (header.typ !== 'at+jwt' || header.alg !== 'ES256' || typeof header.kid !== 'string') return undefined;
        const key = keys.publicKey(header.kid);
        if (!key) return undefined;
        const signature = decodeSignature(parts[2]!);
        if (!signature) return undefined;
        const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
        if (!ok) return undefined;
        const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as JwtClaims;
        if (claims.iss !== issuer || typeof claims.exp !== 'number' || claims.exp <= now() / 1000) return undefined;
        return verified.add(token, header.kid, claims);
      } catch {
        return undefined;
      }
    },

    async revokeJti(jti: string, expiresAt: number, reason: string): Promise<boolean> {
      const revokedAt = now();
      const already = (await db()('token_denylist').where({ jti }).first('jti')) !== undefined;
      if (!already) {
        await db()('token_denylist').insert({ jti, expires_at: expiresAt * 1000, revoked_at: revokedAt, reason }).onConflict('jti').ignore();
      }
      await db()('token_issuances').where({ jti }).whereNull('revoked_at').update({ revoked_at: revokedAt });
      return !already;
    },

    isRevoked: (jti: string) => denylisted(jti),

    revokeLineage: (root, reason) => revokeLineage(db(), root, reason, now()),

    issuance,

    drain: () => issuances.drain(),
  };
}
