/** Queries of `trusted_issuers`, `workload_rules` and `assertion_jtis`. Timestamps are integer ms. */
import { mapPage, runPage, type Page, type PageOrder, type PageRequest, type RuntimeApi } from 'authplane';
import type { SubjectMode, TrustedIssuer, WorkloadRule } from './types.js';

interface IssuerRow {
  id: string;
  name: string;
  issuer: string;
  jwks_uri: string | null;
  audience: string | null;
  enabled: boolean | number;
  workload: boolean | number;
  subject_mode: string;
  created_at: number | string;
  updated_at: number | string;
}

interface RuleRow {
  id: string;
  issuer_id: string;
  subject: string;
  claims: string;
  client_id: string;
  created_at: number | string;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export type IssuerValues = Omit<TrustedIssuer, 'created_at' | 'updated_at'> & { created_at: number; updated_at: number };

/** The admin list's order: by name, which is unique. */
export const IDP_ORDER: PageOrder = { list: 'idps', direction: 'asc', keys: [{ column: 'name', type: 'string' }] };

export class IssuerStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #fromRow(row: IssuerRow): TrustedIssuer {
    return {
      id: row.id,
      name: row.name,
      issuer: row.issuer,
      jwks_uri: row.jwks_uri,
      audience: row.audience,
      enabled: Boolean(row.enabled),
      workload: Boolean(row.workload),
      subject_mode: row.subject_mode as SubjectMode,
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    };
  }

  async insert(values: IssuerValues): Promise<TrustedIssuer> {
    await this.runtime().db('trusted_issuers').insert(values);
    return this.#fromRow(values);
  }

  /** One page of the admin list, by name (unique: its index serves the page). */
  async page(page: PageRequest): Promise<Page<TrustedIssuer>> {
    return mapPage(await runPage<IssuerRow>(this.runtime().db('trusted_issuers').select('*'), IDP_ORDER, page), (row) => this.#fromRow(row));
  }

  async list(): Promise<TrustedIssuer[]> {
    const rows = (await this.runtime().db('trusted_issuers').select('*').orderBy('name')) as IssuerRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  /** By id or by name: the admin API and CLI accept either. */
  async find(idOrName: string): Promise<TrustedIssuer | undefined> {
    const row = (await this.runtime().db('trusted_issuers').where({ id: idOrName }).orWhere({ name: idOrName }).first()) as IssuerRow | undefined;
    return row && this.#fromRow(row);
  }

  async byIssuer(issuer: string): Promise<TrustedIssuer | undefined> {
    const row = (await this.runtime().db('trusted_issuers').where({ issuer }).first()) as IssuerRow | undefined;
    return row && this.#fromRow(row);
  }

  async update(id: string, values: Partial<IssuerValues>): Promise<boolean> {
    return (await this.runtime().db('trusted_issuers').where({ id }).update(values)) > 0;
  }

  /** Deletes the issuer and its workload rules in one transaction. */
  async delete(id: string): Promise<boolean> {
    return this.runtime().db.transaction(async (trx) => {
      await trx('workload_rules').where({ issuer_id: id }).delete();
      return (await trx('trusted_issuers').where({ id }).delete()) > 0;
    });
  }

  #ruleFromRow(row: RuleRow): WorkloadRule {
    return {
      id: row.id,
      issuer_id: row.issuer_id,
      subject: row.subject,
      claims: this.runtime().dialect.parseJson(row.claims) ?? {},
      client_id: row.client_id,
      created_at: iso(row.created_at),
    };
  }

  async insertRule(rule: Omit<WorkloadRule, 'created_at'> & { created_at: number }): Promise<WorkloadRule> {
    await this.runtime().db('workload_rules').insert({ ...rule, claims: this.runtime().dialect.json(rule.claims) });
    return { ...rule, created_at: iso(rule.created_at) };
  }

  async rules(issuerId: string, subject?: string): Promise<WorkloadRule[]> {
    const query = this.runtime().db('workload_rules').where({ issuer_id: issuerId }).orderBy('created_at');
    if (subject !== undefined) query.andWhere({ subject });
    return ((await query) as RuleRow[]).map((row) => this.#ruleFromRow(row));
  }

  async deleteRule(issuerId: string, ruleId: string): Promise<boolean> {
    return (await this.runtime().db('workload_rules').where({ issuer_id: issuerId, id: ruleId }).delete()) > 0;
  }
}
