import type { Knex } from 'knex';
import { uuidv7 } from 'authplane';
import { digest, randomToken } from './codes.js';

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

  async startFamily(input: { clientId: string; userId: string; resourceId: string }, trx?: Knex.Transaction): Promise<string> {
    const id = uuidv7();
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

  async issue(
    input: {
      familyId: string;
      clientId: string;
      userId: string;
      resourceId: string;
      scope: string;
      accessJti: string;
      dpopJkt?: string;
      /** Moves the family's expiry to this token's (rotation); a family started with this token already has it. */
      extendFamily?: boolean;
    },
    trx?: Knex.Transaction,
  ): Promise<string> {
    const token = randomToken();
    const now = Date.now();
    const expiresAt = now + this.ttlSeconds * 1000;
    const db = trx ?? this.db();
    await db('refresh_tokens').insert({
      id: uuidv7(),
      token_hash: digest(token),
      family_id: input.familyId,
      client_id: input.clientId,
      user_id: input.userId,
      resource_id: input.resourceId,
      scope: input.scope,
      created_at: now,
      expires_at: expiresAt,
      consumed_at: null,
      consumed_scope_key: null,
      access_jti: input.accessJti,
      dpop_jkt: input.dpopJkt ?? null,
    });
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

  /** One statement: true for exactly one of any concurrent uses of the same token. */
  async consume(id: string, scopeKey: string): Promise<boolean> {
    const updated = await this.db()('refresh_tokens')
      .where({ id })
      .whereNull('consumed_at')
      .update({ consumed_at: Date.now(), consumed_scope_key: scopeKey });
    return updated === 1;
  }

  async revokeFamily(familyId: string, reason: string): Promise<number> {
    return this.db()('refresh_families').where({ id: familyId }).whereNull('revoked_at').update({ revoked_at: Date.now(), revoked_reason: reason });
  }

  async revokeWhere(where: { user_id: string; client_id?: string; resource_id?: string }, reason: string): Promise<number> {
    return this.db()('refresh_families')
      .where(where)
      .whereNull('revoked_at')
      .where('expires_at', '>', Date.now())
      .update({ revoked_at: Date.now(), revoked_reason: reason });
  }

  async accessJtis(familyId: string): Promise<string[]> {
    const rows = await this.db()('refresh_tokens').where({ family_id: familyId }).whereNotNull('access_jti').select('access_jti');
    return rows.map((r: { access_jti: string }) => r.access_jti);
  }

  async activeFamilies(userId: string): Promise<FamilyRow[]> {
    return this.db()('refresh_families').where({ user_id: userId }).whereNull('revoked_at').where('expires_at', '>', Date.now());
  }
}
