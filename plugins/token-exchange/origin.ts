import type { RuntimeApi } from 'authplane';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The issuance a chain of exchanges started from: the grant a user (or a machine client) was given directly. */
export interface Origin {
  subject: string;
  clientId: string;
  audience: string[];
  grantType: string;
}

/**
 * Follows `parent_jti` from the subject token back through earlier exchanges to the token they all derive from.
 * Consent was given to that token's client, for that token's resource; an exchanged token's own `client_id` is
 * merely the last client that acted. Bounded: a chain longer than the depth limit cannot have been issued.
 */
export async function findOrigin(runtime: RuntimeApi, jti: string, maxSteps: number): Promise<Origin | undefined> {
  let current: string | null = jti;
  for (let step = 0; current !== null && step <= maxSteps; step++) {
    const row = (await runtime.db('token_issuances')
      .where({ jti: current })
      .first('subject', 'client_id', 'audience', 'grant_type', 'parent_jti')) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    if (row.grant_type !== TOKEN_EXCHANGE || row.parent_jti == null) {
      const audience = typeof row.audience === 'string' ? (JSON.parse(row.audience) as string[]) : (row.audience as string[]);
      return { subject: row.subject as string, clientId: row.client_id as string, audience, grantType: row.grant_type as string };
    }
    current = row.parent_jti as string;
  }
  return undefined;
}
