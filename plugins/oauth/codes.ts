import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** 256 bits from the CSPRNG, base64url: unguessable codes and refresh tokens. */
export const randomToken = () => randomBytes(32).toString('base64url');

export interface CodeRow {
  code_hash: string;
  client_id: string;
  user_id: string;
  resource_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  auth_time: number;
  expires_at: number;
  consumed_at: number | null;
  family_id: string | null;
  access_jti: string | null;
  extra: string | null;
}

export interface NewCode {
  clientId: string;
  userId: string;
  resourceId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  authTime: number;
  extra?: Record<string, unknown>;
}

export class AuthorizationCodes {
  constructor(
    private readonly db: () => Knex,
    private readonly ttlSeconds: number,
  ) {}

  async issue(input: NewCode): Promise<string> {
    const code = randomToken();
    const now = Date.now();
    await this.db()('authorization_codes').insert({
      code_hash: digest(code),
      client_id: input.clientId,
      user_id: input.userId,
      resource_id: input.resourceId,
      redirect_uri: input.redirectUri,
      code_challenge: input.codeChallenge,
      scope: input.scope,
      auth_time: input.authTime,
      created_at: now,
      expires_at: now + this.ttlSeconds * 1000,
      consumed_at: null,
      extra: input.extra ? JSON.stringify(input.extra) : null,
    });
    return code;
  }

  /**
   * Consumes a code in one statement (design §6): of any number of concurrent redemptions by the client the code
   * was issued to, exactly one updates the row. The loser learns whether the code existed and was already used — a
   * replay. Another client's redemption consumes nothing and learns only that the code is not its own.
   */
  async consume(code: string, clientId: string): Promise<{ row: CodeRow } | { replayed: CodeRow } | { foreign: true } | undefined> {
    const hash = digest(code);
    const now = Date.now();
    // The winner gets the row back from the UPDATE itself (RETURNING: SQLite ≥ 3.35, PostgreSQL): one statement.
    const [won] = (await this.db()('authorization_codes')
      .where({ code_hash: hash, client_id: clientId })
      .whereNull('consumed_at')
      .where('expires_at', '>', now)
      .update({ consumed_at: now })
      .returning('*')) as CodeRow[];
    const row = won ?? ((await this.db()('authorization_codes').where({ code_hash: hash }).first()) as CodeRow | undefined);
    if (!row) return undefined;
    row.expires_at = Number(row.expires_at);
    row.auth_time = Number(row.auth_time);
    if (won) return { row };
    if (row.client_id !== clientId) return { foreign: true };
    return row.consumed_at !== null ? { replayed: row } : undefined;
  }

  /** Remembers what a code produced, so a replay of it can revoke exactly that. */
  async recordIssued(codeHash: string, familyId: string | null, accessJti: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db())('authorization_codes').where({ code_hash: codeHash }).update({ family_id: familyId, access_jti: accessJti });
  }
}
