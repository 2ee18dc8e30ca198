/**
 * The oauth plugin's `consents` service, as other plugins see it (`api.use('consents')`): whether what a user once
 * allowed a client still holds. Token exchange asks it before deriving a token from a user's token, so a consent
 * the user withdrew also stops every exchange resting on it.
 */
export interface UserConsents {
  /**
   * True when the user's consent for the client and resource (by id, URI or slug) exists and covers every one of
   * `scopes`. An unknown resource has no consent.
   */
  stands(userId: string, clientId: string, resource: string, scopes: readonly string[]): Promise<boolean>;
}

declare module 'authplane' {
  interface Services {
    consents: UserConsents;
  }
}
