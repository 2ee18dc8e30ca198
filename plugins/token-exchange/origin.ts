import type { RuntimeApi } from 'authplane';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The issuance a chain of exchanges started from: the grant a user (or a machine client) was given directly. */
export interface Origin {
  subject: string;
  clientId: string;
  audience: string[];
  grantType: string;
}

/** The subject token's issuance row as the exchange needs it: where its chain started, what grant it rests on. */
export interface Lineage {
  origin: Origin | undefined;
  /** The subject token's grant_ref; the new token rests on the same grant (GrantTokenInput.grantRef). */
  grantRef: string | null;
}

/**
 * Follows `parent_jti` from the subject token back through earlier exchanges to the token they all derive from.
 * Consent was given to that token's client, for that token's resource; an exchanged token's own `client_id` is
 * merely the last client that acted. Bounded: a chain longer than the depth limit cannot have been issued.
 */
export async function findLineage(runtime: RuntimeApi, jti: string, maxSteps: number): Promise<Lineage> {
  let current: string | null = jti;
  let grantRef: string | null = null;
  for (let step = 0; current !== null && step <= maxSteps; step++) {
    const row = await runtime.tokens.issuance(current);
    if (!row) return { origin: undefined, grantRef };
    if (step === 0) grantRef = row.grantRef;
    if (row.grantType !== TOKEN_EXCHANGE || row.parentJti === null) {
      return { origin: { subject: row.subject, clientId: row.clientId, audience: row.audience, grantType: row.grantType }, grantRef };
    }
    current = row.parentJti;
  }
  return { origin: undefined, grantRef };
}
