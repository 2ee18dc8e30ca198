import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { creationOrder, runPage, uuidv7, type Page, type PageRequest } from 'authplane';
import { digest, randomToken } from './codes.js';

/**
 * What a use of a refresh token leaves on its row, in `consumed_scope_key` (64 characters, whatever the request):
 * 32 hex characters of a random nonce, then the first 128 bits of SHA-256 of the request's identity (its scopes and
 * DPoP key). The nonce makes the token's one successor: HMAC-SHA256 keyed with it over the presented token. The
 * server alone knows the nonce, the client alone the token (the row keeps only its digest), so neither a database
 * reader nor a thief of the used token can compute the successor, while every retry of the use gets it again.
 */
export interface UseRecord {
  nonce: string;
  request: string;
}

const USE_RECORD = /^[0-9a-f]{64}$/;

/** The identity of a refresh request for the grace window, as 32 hex characters. */
export function requestDigest(scopes: readonly string[], dpopJkt: string | undefined): string {
  return createHash('sha256')
    .update(`${[...scopes].sort().join(' ')}\n${dpopJkt ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

export function parseUseRecord(stored: string | null): UseRecord | undefined {
  if (stored === null || !USE_RECORD.test(stored)) return undefined;
  return { nonce: stored.slice(0, 32), request: stored.slice(32) };
}

/** The one successor of `token` for the use recorded with `nonce`: 256 bits, the shape of every refresh token. */
export function successorOf(token: string, nonce: string): string {
  return createHmac('sha256', Buffer.from(nonce, 'hex')).update(token).digest('base64url');
}

/**
 * Access tokens given out by a retry inside the grace window are recorded in the family as rows of their own, so
 * revoking the family denylists them too. Such a row's `token_hash` is this prefix and the jti — never a SHA-256
 * hex digest, so no presented token can find it — and it is consumed from the start.
 */
const ACCESS_RECORD_PREFIX = 'access:';

export interface RefreshRow {
  id: string;
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string;
  resource_id: string;
  scope: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  consumed_scope_key: string | null;
  dpop_jkt: string | null;
}

/** A user's refresh families as the admin list pages them (migrations/oauth/0003_grants_paging.ts). */
export const FAMILY_ORDER = creationOrder('user-refresh-families');

export interface FamilyRow {
  id: string;
  client_id: string;
  user_id: string;
  resource_id: string;
  revoked_at: number | null;
  expires_at: number;
}

/**
 * Opaque refresh tokens, stored as SHA-256 digests, rotated on every use and grouped in families: every token
 * descending from one authorization shares a family, and revoking the family ends them all.
 */
export class RefreshTokens {
  constructor(
    private readonly db: () => Knex,
    private readonly ttlSeconds: number,
  ) {}

  /** `id`: chosen by the caller when the family's first access token, issued before the family, must name it. */
  async startFamily(input: { id?: string; clientId: string; userId: string; resourceId: string }, trx?: Knex.Transaction): Promise<string> {
    const id = input.id ?? uuidv7();
    const now = Date.now();
    await (trx ?? this.db())('refresh_families').insert({
      id,
      client_id: input.clientId,
      user_id: input.userId,
      resource_id: input.resourceId,
      created_at: now,
      expires_at: now + this.ttlSeconds * 1000,
      revoked_at: null,
      revoked_reason: null,
    });
    return id;
  }

  /**
   * Stores a refresh token of the family and returns it: a random one, or `input.token` — a successor, which every
   * retry of the same use stores again. Only the first store of a successor makes its row; a later one (or one that
   * lost the race to it) records just its access token, and the family keeps a single successor.
   */
  async issue(
    input: {
      familyId: string;
      clientId: string;
      userId: string;
      resourceId: string;
      scope: string;
      accessJti: string;
      accessExpiresAt: number;
      dpopJkt?: string;
      token?: string;
      /** Moves the family's expiry to this token's (rotation); a family started with this token already has it. */
      extendFamily?: boolean;
    },
    trx?: Knex.Transaction,
  ): Promise<string> {
    const token = input.token ?? randomToken();
    const now = Date.now();
    const expiresAt = now + this.ttlSeconds * 1000;
    const db = trx ?? this.db();
    const row = {
      id: uuidv7(),
      token_hash: digest(token),
      family_id: input.familyId,
      client_id: input.clientId,
      user_id: input.userId,
      resource_id: input.resourceId,
      scope: input.scope,
      created_at: now,
      expires_at: expiresAt,
      consumed_at: null as number | null,
      consumed_scope_key: null,
      access_jti: input.accessJti,
      dpop_jkt: input.dpopJkt ?? null,
    };
    if (input.token === undefined) {
      await db('refresh_tokens').insert(row);
    } else {
      // ON CONFLICT DO NOTHING: a concurrent store of the same successor waits for this one and then does nothing.
      const made = await db('refresh_tokens').insert(row).onConflict('token_hash').ignore().returning('id');
      if (made.length === 0) {
        await db('refresh_tokens').insert(
          Object.assign({}, row, {
            token_hash: `${ACCESS_RECORD_PREFIX}${input.accessJti}`,
            consumed_at: now,
            expires_at: input.accessExpiresAt,
            dpop_jkt: null,
          }),
        );
        return token;
      }
    }
    if (input.extendFamily !== false) await db('refresh_families').where({ id: input.familyId }).update({ expires_at: expiresAt });
    return token;
  }

  async find(token: string): Promise<{ token: RefreshRow; family: FamilyRow } | undefined> {
    const row = (await this.db()('refresh_tokens').where({ token_hash: digest(token) }).first()) as RefreshRow | undefined;
    if (!row) return undefined;
    const family = (await this.db()('refresh_families').where({ id: row.family_id }).first()) as FamilyRow | undefined;
    if (!family) return undefined;
    for (const k of ['created_at', 'expires_at'] as const) row[k] = Number(row[k]);
    if (row.consumed_at !== null) row.consumed_at = Number(row.consumed_at);
    if (family.revoked_at !== null) family.revoked_at = Number(family.revoked_at);
    return { token: row, family };
  }

  /**
   * One statement: of any concurrent uses of the same token exactly one records its use (a fresh nonce and the
   * request's digest) and gets that record back; the others get undefined and read the winner's with `find`.
   */
  async consume(id: string, request: string): Promise<UseRecord | undefined> {
    const record = { nonce: randomBytes(16).toString('hex'), request };
    const updated = await this.db()('refresh_tokens')
      .where({ id })
      .whereNull('consumed_at')
      .update({ consumed_at: Date.now(), consumed_scope_key: record.nonce + record.request });
    return updated === 1 ? record : undefined;
  }

  async revokeFamily(familyId: string, reason: string): Promise<number> {
    return this.db()('refresh_families').where({ id: familyId }).whereNull('revoked_at').update({ revoked_at: Date.now(), revoked_reason: reason });
  }

  /** Revokes the live families matching `where`; returns their ids, whose access tokens the caller revokes. */
  async revokeWhere(where: { user_id: string; client_id?: string; resource_id?: string }, reason: string): Promise<string[]> {
    const now = Date.now();
    const live = this.db()('refresh_families').where(where).whereNull('revoked_at').where('expires_at', '>', now);
    const ids = (await live.clone().select('id')).map((r: { id: string }) => r.id);
    if (ids.length === 0) return [];
    await this.db()('refresh_families').whereIn('id', ids).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
    return ids;
  }

  /** One page of a user's live families, oldest first. */
  familyPage(userId: string, page: PageRequest): Promise<Page<FamilyRow & { created_at: number | string }>> {
    const live = this.db()('refresh_families').where({ user_id: userId }).whereNull('revoked_at').where('expires_at', '>', Date.now());
    return runPage(live, FAMILY_ORDER, page);
  }

}
