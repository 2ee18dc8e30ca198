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
}

declare module 'authplane' {
  interface Services {
    users: UserDirectory;
  }
}
