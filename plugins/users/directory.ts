/**
 * The `users` service: what login and consent need to know about local users. Reads go to the table (no cache):
 * a disabled account must stop working on the next request, on every replica.
 */
import type { User, UserDirectory } from './types.js';
import { dummyHash, verifyPassword } from './password.js';
import { toUser, type UserStore } from './store.js';

export function createUserDirectory(store: UserStore): UserDirectory {
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
  };
}
