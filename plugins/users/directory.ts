/**
 * The `users` service: what login and consent need to know about local users. Reads go to the table (no cache):
 * a disabled account must stop working on the next request, on every replica.
 */
import { uuidv7, type RuntimeApi } from 'authplane';
import type { User, UserDirectory } from './types.js';
import { dummyHash, verifyPassword } from './password.js';
import { canonicalEmail, toUser, type StoredUser, type UserStore } from './store.js';

export function createUserDirectory(store: UserStore, runtime: () => RuntimeApi): UserDirectory {
  return {
    async get(id) {
      const user = await store.findById(id);
      return user && toUser(user);
    },
    async findByEmail(email) {
      const user = await store.findByEmail(email);
      return user && toUser(user);
    },
    async verifyPassword(email, password): Promise<User | undefined> {
      const user = await store.findByEmail(email);
      // An unknown email (or one without a local password) checks a dummy hash, so it costs what a wrong password
      // costs and the answer time says nothing about which emails exist.
      const matches = await verifyPassword(user?.password_hash ?? (await dummyHash()), password);
      if (!user?.password_hash || !matches || user.status !== 'active') return undefined;
      return toUser(user);
    },
    async recordLogin(id) {
      await store.update(id, { last_login_at: Date.now() });
    },
    async findByIdentity(provider, subject) {
      const user = await store.findByIdentity(provider, subject);
      return user && toUser(user);
    },
    async createForIdentity(input) {
      const email = canonicalEmail(input.email);
      if (await store.findByEmail(email)) return { conflict: 'email_in_use' };
      const now = Date.now();
      const user: StoredUser = {
        id: uuidv7(now),
        email,
        name: input.name.trim().slice(0, 200) || email,
        role: input.role,
        status: 'active',
        provider: input.provider,
        password_hash: null,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      };
      try {
        await store.insertWithIdentity(user, input.provider, input.subject);
        return { user: toUser(user), created: true };
      } catch (err) {
        if (!runtime().dialect.isUniqueViolation(err)) throw err;
        // Which unique index refused decides: the identity (a parallel first login won) or the email.
        const linked = await store.findByIdentity(input.provider, input.subject);
        return linked ? { user: toUser(linked), created: false } : { conflict: 'email_in_use' };
      }
    },
    async setRole(id, role) {
      await store.update(id, { role, updated_at: Date.now() });
    },
  };
}
