/**
 * The users plugin's record and its `users` service, as other plugins see them (`api.use('users')`). Other plugins
 * import these types only (`import type`), so a build without the users plugin has none of its code.
 */

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
  status: 'active' | 'disabled';
  provider: string;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface UserDirectory {
  get(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /**
   * The user when the password is right and the account active; undefined otherwise. Takes the same time whether
   * or not the email exists (a dummy hash is checked), so it reveals nothing.
   */
  verifyPassword(email: string, password: string): Promise<User | undefined>;
  recordLogin(id: string): Promise<void>;
  /** The user an upstream identity is linked to: the identity provider's name and the upstream's `sub`. */
  findByIdentity(provider: string, subject: string): Promise<User | undefined>;
  /**
   * Just-in-time provisioning: a new active user (no password) linked to the upstream identity, in one transaction.
   * It never links an existing account: an email another user has is `{ conflict: 'email_in_use' }`. When a
   * parallel first login linked the identity meanwhile, that user is the answer (`created: false`).
   */
  createForIdentity(input: FederatedUserInput): Promise<{ user: User; created: boolean } | { conflict: 'email_in_use' }>;
  /** Sets a user's role (a federated login applying its role mapping). */
  setRole(id: string, role: User['role']): Promise<void>;
}

export interface FederatedUserInput {
  /** The identity provider's name in `identityProviders` (at most 32 characters): also the user's `provider`. */
  provider: string;
  subject: string;
  email: string;
  name: string;
  role: User['role'];
}

declare module 'authplane' {
  interface Services {
    users: UserDirectory;
  }
}
