/** Reads of the kernel's `token_issuances` table (the kernel's issuer writes it; this plugin only reads). */
import { runMergedPage, runPage, type Page, type RuntimeApi } from 'authplane';
import { ISSUANCE_ORDER, type IssuanceQuery } from './query.js';

interface IssuanceRow {
  jti: string;
  subject: string;
  client_id: string;
  audience: string;
  scope: string;
  grant_type: string;
  // pg returns bigint columns as strings.
  issued_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
  parent_jti: string | null;
  grant_ref: string | null;
  cnf_jkt: string | null;
}

/** One issued access token as the admin API and CLI show it. */
export interface IssuanceView {
  id: string;
  jti: string;
  subject: string;
  client_id: string;
  audience: string[];
  scope: string;
  grant_type: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  parent_jti: string | null;
  grant_ref: string | null;
  cnf_jkt: string | null;
}

export class IssuanceStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #view(row: IssuanceRow, now: number): IssuanceView {
    const expires = Number(row.expires_at);
    const revoked = row.revoked_at === null ? null : Number(row.revoked_at);
    return {
      id: row.jti,
      jti: row.jti,
      subject: row.subject,
      client_id: row.client_id,
      audience: this.runtime().dialect.parseJson<string[]>(row.audience),
      scope: row.scope,
      grant_type: row.grant_type,
      issued_at: new Date(Number(row.issued_at)).toISOString(),
      expires_at: new Date(expires).toISOString(),
      revoked_at: revoked === null ? null : new Date(revoked).toISOString(),
      status: revoked !== null ? 'revoked' : expires <= now ? 'expired' : 'active',
      parent_jti: row.parent_jti,
      grant_ref: row.grant_ref,
      cnf_jkt: row.cnf_jkt,
    };
  }

  async find(jti: string): Promise<IssuanceView | undefined> {
    const row = await this.runtime().db<IssuanceRow>('token_issuances').where({ jti }).first();
    return row ? this.#view(row as IssuanceRow, Date.now()) : undefined;
  }

  /** One page, newest first; every filter given must match. */
  async list(query: IssuanceQuery): Promise<Page<IssuanceView>> {
    const { db, dialect } = this.runtime();
    const select = () => {
      const q = db<IssuanceRow>('token_issuances').select('*');
      if (query.user !== undefined) q.where('subject', query.user);
      if (query.client !== undefined) q.where('client_id', query.client);
      if (query.jti !== undefined) q.where('jti', query.jti);
      if (query.since !== undefined) q.where('issued_at', '>=', query.since);
      return q;
    };
    let page: Page<IssuanceRow>;
    if (query.resource === undefined) page = await runPage<IssuanceRow>(select(), ISSUANCE_ORDER, query.page);
    else {
      // The indexed `resource` column holds a token's audience when it has exactly one; the rows it leaves NULL
      // (several audiences) are matched on the JSON array, where the JSON-quoted URI is one whole element, never a
      // prefix of one. A plain substring test (not LIKE) so `%` and `_` in a URI are not wildcards.
      const needle = JSON.stringify(query.resource);
      const unindexed = select()
        .whereNull('resource')
        .whereRaw(dialect.name === 'postgres' ? 'strpos(audience, ?) > 0' : 'instr(audience, ?) > 0', [needle]);
      page = await runMergedPage<IssuanceRow>([select().where('resource', query.resource), unindexed], ISSUANCE_ORDER, query.page);
    }
    const now = Date.now();
    return { rows: page.rows.map((row) => this.#view(row, now)), next: page.next };
  }
}
