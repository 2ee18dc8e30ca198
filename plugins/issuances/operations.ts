/**
 * Every admin operation on issuances, shared by the admin API and the CLI so both validate, audit and answer the
 * same way. Errors are RFC 9457 problems (the CLI prints their detail).
 */
import { notFound, type Page, type RuntimeApi } from 'authplane';
import type { Counter } from 'prom-client';
import { parseIssuanceQuery } from './query.js';
import type { IssuanceStore, IssuanceView } from './store.js';

/** Who asked, for the audit trail. */
export interface Actor {
  actor_id: 'admin-api' | `user:${string}` | 'cli';
  ip?: string | null;
  request_id?: string | null;
}

/** The reason recorded on the denylist row, the audit event and the revocation metric. */
export const ADMIN_REVOCATION = 'admin';

export class IssuanceOperations {
  constructor(
    private readonly store: IssuanceStore,
    private readonly runtime: () => RuntimeApi,
    private readonly revoked: Counter<'reason'>,
  ) {}

  list(raw: Readonly<Record<string, string | string[] | undefined>>): Promise<Page<IssuanceView>> {
    return this.store.list(parseIssuanceQuery(raw));
  }

  async get(jti: string): Promise<IssuanceView> {
    const found = await this.store.find(jti);
    if (!found) throw notFound(`no issuance with jti '${jti}'`);
    return found;
  }

  /**
   * Denylists the token's jti until it expires, and every token derived from it (exchanged from it, however many
   * times over). Idempotent: revoking a revoked (or expired) token changes nothing and is not an error; only the
   * first revocation is audited and counted.
   */
  async revoke(jti: string, actor: Actor): Promise<IssuanceView> {
    const issuance = await this.get(jti);
    const expiresAt = Math.floor(Date.parse(issuance.expires_at) / 1000);
    const rt = this.runtime();
    const first = await rt.tokens.revokeJti(jti, expiresAt, ADMIN_REVOCATION);
    const derived = await rt.tokens.revokeLineage({ derivedFrom: jti }, ADMIN_REVOCATION);
    if (first) {
      this.revoked.inc({ reason: ADMIN_REVOCATION });
      rt.audit.emit({
        action: 'token_revoked',
        ...actor,
        client_id: issuance.client_id,
        user_id: issuance.subject === issuance.client_id ? null : issuance.subject,
        detail: { reason: ADMIN_REVOCATION, jti, grant_type: issuance.grant_type, derived },
      });
    }
    return this.get(jti);
  }
}
