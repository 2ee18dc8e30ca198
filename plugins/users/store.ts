/** Queries of the `users` table. Timestamps are integer ms; emails are stored lower-cased. */
import { creationOrder, mapPage, runPage, type Page, type PageOrder, type PageRequest, type RuntimeApi } from 'authplane';
import type { User } from './types.js';
import type { Role, UserStatus } from './schema.js';

/** A user as stored, with its password hash — never leaves this plugin. */
export interface StoredUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  provider: string;
  password_hash: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

interface UserRow extends Omit<StoredUser, 'created_at' | 'updated_at' | 'last_login_at'> {
  // pg returns bigint columns as strings.
  created_at: number | string;
  updated_at: number | string;
  last_login_at: number | string | null;
}

/** RFC 5321 §2.4 leaves the local part case-sensitive, but no mail system in use treats it so: one account per address. */
export const canonicalEmail = (email: string) => email.trim().toLowerCase();

/** The admin list's order: oldest first, the id breaking ties (migrations/users/0003_users_paging.ts). */
export const USER_ORDER = creationOrder('users');

/** A user's identity links, oldest first; (provider, subject) is the link's key. */
export const IDENTITY_ORDER: PageOrder = {
  list: 'user-identities',
  direction: 'asc',
  keys: [
    { column: 'created_at', type: 'number' },
    { column: 'provider', type: 'string' },
    { column: 'subject', type: 'string' },
  ],
};

export class UserStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #table() {
    return this.runtime().db<UserRow>('users');
  }

  #fromRow(row: UserRow): StoredUser {
    return {
      ...row,
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
      last_login_at: row.last_login_at === null ? null : Number(row.last_login_at),
    };
  }

  async findById(id: string): Promise<StoredUser | undefined> {
    const row = await this.#table().where({ id }).first();
    return row ? this.#fromRow(row as UserRow) : undefined;
  }

  async findByEmail(email: string): Promise<StoredUser | undefined> {
    const row = await this.#table().where({ email: canonicalEmail(email) }).first();
    return row ? this.#fromRow(row as UserRow) : undefined;
  }

  async list(page: PageRequest): Promise<Page<StoredUser>> {
    return mapPage(await runPage<UserRow>(this.#table().select('*'), USER_ORDER, page), (row) => this.#fromRow(row));
  }

  async insert(user: StoredUser): Promise<void> {
    await this.#table().insert(user);
  }

  /** Writes the values, only while the user is in `inStatus` when given: one statement, no read-then-write. */
  async update(id: string, values: Partial<StoredUser>, inStatus?: UserStatus): Promise<boolean> {
    const query = this.#table().where({ id });
    if (inStatus) query.where('status', inStatus);
    return (await query.update(values)) > 0;
  }

  async delete(id: string): Promise<boolean> {
    // Links first, in the same transaction: SQLite enforces the foreign key only with its pragma on.
    return this.runtime().db.transaction(async (trx) => {
      await trx('user_identities').where({ user_id: id }).delete();
      return (await trx('users').where({ id }).delete()) > 0;
    });
  }

  async findByIdentity(provider: string, subject: string): Promise<StoredUser | undefined> {
    const row = await this.runtime().db('users').join('user_identities', 'user_identities.user_id', 'users.id')
      .where({ 'user_identities.provider': provider, 'user_identities.subject': subject })
      .first('users.*');
    return row ? this.#fromRow(row as UserRow) : undefined;
  }

  async identities(userId: string, page: PageRequest): Promise<Page<IdentityLink>> {
    const found = await runPage<IdentityLink & { created_at: number | string }>(this.runtime().db('user_identities').where({ user_id: userId }), IDENTITY_ORDER, page);
    return mapPage(found, (row) => ({ provider: row.provider, subject: row.subject, user_id: row.user_id, created_at: Number(row.created_at) }));
  }

  /** A new user and its first identity together, or neither (a unique index refusing either rolls both back). */
  async insertWithIdentity(user: StoredUser, provider: string, subject: string): Promise<void> {
    await this.runtime().db.transaction(async (trx) => {
      await trx('users').insert(user);
      await trx('user_identities').insert({ provider, subject, user_id: user.id, created_at: user.created_at });
    });
  }

  /** The primary key refuses an identity already linked (to this user or another). */
  async link(userId: string, provider: string, subject: string, now: number): Promise<void> {
    await this.runtime().db('user_identities').insert({ provider, subject, user_id: userId, created_at: now });
  }

  async unlink(userId: string, provider: string, subject: string): Promise<boolean> {
    return (await this.runtime().db('user_identities').where({ user_id: userId, provider, subject }).delete()) > 0;
  }
}

/** An upstream identity (identity provider, its `sub`) linked to a user. */
export interface IdentityLink {
  provider: string;
  subject: string;
  user_id: string;
  created_at: number;
}

/** The shared contract record and the admin API's representation: never the hash. */
export function toUser(stored: StoredUser): User {
  return {
    id: stored.id,
    email: stored.email,
    name: stored.name,
    role: stored.role,
    status: stored.status,
    provider: stored.provider,
    created_at: new Date(stored.created_at).toISOString(),
    updated_at: new Date(stored.updated_at).toISOString(),
    last_login_at: stored.last_login_at === null ? null : new Date(stored.last_login_at).toISOString(),
  };
}
