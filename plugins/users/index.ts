/**
 * users: local user accounts, the people who log in and consent.
 * - Table `users` (migrations/users); emails unique and stored lower-cased; passwords hashed with scrypt off the
 *   event loop (password.ts), at least 8 characters.
 * - Provides service `users` (UserDirectory: get, findByEmail, verifyPassword — same cost for unknown emails —,
 *   recordLogin; findByIdentity, createForIdentity, setRole for federated logins). No cache: disabling a user takes
 *   effect on the next request.
 * - Table `user_identities`: upstream identities (provider, sub) linked to users — at a just-in-time creation or by
 *   `authserver admin user link|unlink` / `/admin/users/:id/identities`; never by email alone.
 * - The `local` identity provider (email and password) that checks them is the oauth plugin's, which owns login.
 * - Admin API `/admin/users…` (CRUD, disable, enable) and CLI `authserver admin user …`, one operations module
 *   behind both. Revoking a user's tokens (`/admin/users/:id/tokens`) belongs to the plugin that owns tokens.
 * - Console page `users` (`adminPages`, admin-ui/ap-users-page.ts).
 * - Audit: user_created, user_updated, user_deleted, user_disabled, user_enabled, user_identity_linked,
 *   user_identity_unlinked.
 */
import { definePlugin } from 'authplane';
import { registerUserRoutes } from './admin-routes.js';
import { registerUserCommands } from './cli.js';
import { userErrors } from './errors.js';
import { createUserDirectory } from './directory.js';
import { userMigrations } from './migrations.js';
import { UserOperations } from './operations.js';
import { dummyHash } from './password.js';
import { UserStore } from './store.js';

export const users = definePlugin({
  name: 'users',
  errors: userErrors,
  register(api) {
    api.migrations(userMigrations);
    api.registries.adminPages.register('users', {
      path: 'users',
      title: 'Users',
      icon: 'people',
      module: new URL('./admin-ui/ap-users-page.ts', import.meta.url).href,
      element: 'ap-users-page',
      permission: 'admin',
      section: 'Manage',
      order: 20,
    });
    const runtime = api.runtime;
    const store = new UserStore(runtime);
    api.provide('users', createUserDirectory(store, runtime));
    const operations = new UserOperations(store, runtime);
    registerUserRoutes(api, operations);
    registerUserCommands(api, operations);
    return {
      async start() {
        // Computed once up front, so the first login with an unknown email is not the slow one. In the background:
        // the scrypt takes longer than the rest of boot, and a login arriving meanwhile awaits this same computation.
        dummyHash().catch(() => undefined);
      },
    };
  },
});
