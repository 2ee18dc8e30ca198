/** Queries of the `users` table. Timestamps are integer ms; emails are stored lower-cased. */
import type { RuntimeApi } from 'authplane';
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

  async list(): Promise<StoredUser[]> {
    const rows = (await this.#table().select('*').orderBy([{ column: 'created_at' }, { column: 'id' }])) as UserRow[];
    return rows.map((row) => this.#fromRow(row));
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
    return (await this.#table().where({ id }).delete()) > 0;
  }
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
