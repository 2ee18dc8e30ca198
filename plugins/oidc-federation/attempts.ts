/** Queries of `oidc_login_attempts`: a login's nonce and PKCE verifier, from `begin` to its single callback. */
import { createHash } from 'node:crypto';
import type { RuntimeApi } from 'authplane';

/** As long as the interaction cookie it belongs to (the oauth plugin's 10 minutes). */
export const ATTEMPT_TTL_MS = 600_000;

export interface Attempt {
  nonce: string;
  codeVerifier: string;
}

const digest = (state: string) => createHash('sha256').update(state).digest('hex');

export class LoginAttempts {
  constructor(private readonly runtime: () => RuntimeApi) {}

  async save(provider: string, state: string, attempt: Attempt): Promise<void> {
    const { db, now } = { db: this.runtime().db, now: this.runtime().now() };
    // A second begin in the same interaction (a double click) replaces the first: only one can come back.
    await db('oidc_login_attempts')
      .insert({ state_hash: digest(state), provider, nonce: attempt.nonce, code_verifier: attempt.codeVerifier, expires_at: now + ATTEMPT_TTL_MS, consumed_at: null })
      .onConflict('state_hash')
      .merge();
  }

  /** The attempt, once: consumed in one statement before anything is checked, so a replayed callback finds nothing. */
  async consume(provider: string, state: string): Promise<Attempt | undefined> {
    const db = this.runtime().db;
    const now = this.runtime().now();
    const key = { state_hash: digest(state), provider };
    const taken = await db('oidc_login_attempts').where(key).whereNull('consumed_at').where('expires_at', '>', now).update({ consumed_at: now });
    if (taken !== 1) return undefined;
    const row = (await db('oidc_login_attempts').where(key).first()) as { nonce: string; code_verifier: string } | undefined;
    return row && { nonce: row.nonce, codeVerifier: row.code_verifier };
  }
}
