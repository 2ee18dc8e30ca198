import type { Knex } from 'knex';
import { creationOrder, mapPage, runPage, uuidv7, type Page, type PageRequest } from 'authplane';

export interface ConsentRow {
  id: string;
  user_id: string;
  client_id: string;
  resource_id: string;
  scopes: string[];
  created_at: number;
  updated_at: number;
}

/** Consent per (user, client, resource): a later request inside the granted scopes skips the consent screen. */
/** A user's consents as the admin list pages them (migrations/oauth/0003_grants_paging.ts). */
export const CONSENT_ORDER = creationOrder('user-consents', { time: 'updated_at', direction: 'desc' });

export class Consents {
  constructor(private readonly db: () => Knex) {}

  async find(userId: string, clientId: string, resourceId: string): Promise<ConsentRow | undefined> {
    const row = await this.db()('consents').where({ user_id: userId, client_id: clientId, resource_id: resourceId }).first();
    return row ? this.#parse(row) : undefined;
  }

  async covers(userId: string, clientId: string, resourceId: string, scopes: readonly string[]): Promise<boolean> {
    const consent = await this.find(userId, clientId, resourceId);
    return !!consent && scopes.every((s) => consent.scopes.includes(s));
  }

  /** Adds scopes to the stored consent (never narrows it: consent for more is still consent for less). */
  async grant(userId: string, clientId: string, resourceId: string, scopes: readonly string[]): Promise<void> {
    const now = Date.now();
    const existing = await this.find(userId, clientId, resourceId);
    if (existing) {
      const merged = [...new Set([...existing.scopes, ...scopes])].sort();
      await this.db()('consents').where({ id: existing.id }).update({ scopes: JSON.stringify(merged), updated_at: now });
      return;
    }
    await this.db()('consents')
      .insert({
        id: uuidv7(),
        user_id: userId,
        client_id: clientId,
        resource_id: resourceId,
        scopes: JSON.stringify([...scopes].sort()),
        created_at: now,
        updated_at: now,
      })
      .onConflict(['user_id', 'client_id', 'resource_id'])
      .merge(['scopes', 'updated_at']);
  }

  /** One page of a user's consents, last changed first (`after`: the keys of the previous page's last row). */
  async page(userId: string, page: PageRequest): Promise<Page<ConsentRow>> {
    return mapPage(await runPage<Record<string, unknown>>(this.db()('consents').where({ user_id: userId }), CONSENT_ORDER, page), (r) => this.#parse(r));
  }

  async get(id: string): Promise<ConsentRow | undefined> {
    const row = await this.db()('consents').where({ id }).first();
    return row ? this.#parse(row) : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.db()('consents').where({ id }).delete();
  }

  #parse(row: Record<string, unknown>): ConsentRow {
    return {
      id: row.id as string,
      user_id: row.user_id as string,
      client_id: row.client_id as string,
      resource_id: row.resource_id as string,
      scopes: typeof row.scopes === 'string' ? JSON.parse(row.scopes) : (row.scopes as string[]),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    };
  }
}
