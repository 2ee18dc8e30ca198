/**
 * The broker plugin's records and seams, as its own modules and other plugins see them (type-only imports).
 * A broker resource's tokens come from an upstream provider (GitHub, Google, Slack…): the user connects once, the
 * grant is kept encrypted at rest, and token exchange vends a fresh upstream access token to the MCP server.
 */

/**
 * `oauth`: the user connects (authorization code + refresh upstream). `api_key`: one key the operator holds, named
 * by an environment variable. `service_account`: the broker gets tokens with the client credentials grant
 * (RFC 6749 §4.4) under a client the operator registered upstream.
 */
export type ProviderProtocol = 'oauth' | 'api_key' | 'service_account';

/**
 * How an upstream token response is shaped when it is not RFC 6749 §5.1 JSON: `slack` (OAuth v2) wraps the user's
 * token in `authed_user` and answers errors as 200 `{ok: false}`; `github` answers errors as 200 with `error`,
 * form-encoded bodies unless asked for JSON, and a comma-separated `scope`.
 */
export type ResponseQuirk = 'none' | 'github' | 'slack';

/** How the broker authenticates at a token endpoint (RFC 6749 §2.3.1). */
export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface OAuthProviderConfig {
  client_id: string;
  /** The NAME of the environment variable holding the client secret; the secret itself is never stored. */
  client_secret_ref: string;
  authorize_url: string;
  token_url: string;
  /** Extra authorize parameters, e.g. Google's `access_type=offline` and `prompt=consent`. */
  authorize_params: Record<string, string>;
  /** Scopes asked for when a connect names none of its own (the resource's `upstream` scopes come first). */
  default_scopes: string[];
  /** The separator the provider expects between scopes in `scope` (GitHub and Slack use `,` in places). */
  scope_separator: ' ' | ',';
  response_quirk: ResponseQuirk;
  token_auth_method: TokenAuthMethod;
  /** `true` sends PKCE (RFC 7636 S256); every provider named in docs/broker.md accepts it. */
  pkce: boolean;
}

export interface ApiKeyProviderConfig {
  /** The NAME of the environment variable holding the key; the key itself is never stored. */
  credential_ref: string;
  /** The upstream scopes the key carries, for the check that what is asked for was granted. */
  scopes: string[];
}

export interface ServiceAccountProviderConfig {
  client_id: string;
  /** The NAME of the environment variable holding the client secret. */
  client_secret_ref: string;
  token_url: string;
  default_scopes: string[];
  scope_separator: ' ' | ',';
  token_auth_method: TokenAuthMethod;
}

interface ProviderRecord<P extends ProviderProtocol, C> {
  id: string;
  slug: string;
  display_name: string;
  protocol: P;
  config: C;
  created_at: string;
  updated_at: string;
}

export type OAuthProvider = ProviderRecord<'oauth', OAuthProviderConfig>;
export type ApiKeyProvider = ProviderRecord<'api_key', ApiKeyProviderConfig>;
export type ServiceAccountProvider = ProviderRecord<'service_account', ServiceAccountProviderConfig>;
/** A provider as the admin API shows it and the `brokerProviders` service returns it; narrow on `protocol`. */
export type BrokerProvider = OAuthProvider | ApiKeyProvider | ServiceAccountProvider;
export type ProviderConfig = BrokerProvider['config'];

/** An upstream grant as the token endpoint returned it, normalised across quirks. Times are ms since the epoch. */
export interface UpstreamTokens {
  access_token: string;
  /** As the provider spelled it, `bearer` written `Bearer`; `Bearer` when it said nothing. */
  token_type: string;
  refresh_token?: string;
  /** When the access token expires; absent when the provider says nothing (GitHub classic OAuth apps). */
  expires_at?: number;
  /** The scopes granted upstream: the response's `scope`, else what was asked for (RFC 6749 §5.1). */
  scopes: string[];
}

/** What a refresh gives: the refresh token to keep from now on, and whether the provider rotated it. */
export interface RefreshedTokens extends UpstreamTokens {
  /**
   * The new refresh token when the provider rotated it, else the one the refresh was made with (Google and most
   * providers answer a refresh without `refresh_token`: the old one stays valid).
   */
  refresh_token: string;
  refresh_token_rotated: boolean;
}

/**
 * Encryption at rest (AES-256-GCM with HKDF per-purpose keys, or Vault Transit). `purpose` separates key uses;
 * `aad` binds a ciphertext to its row, so a ciphertext copied into another row does not decrypt.
 */
export interface SecretBox {
  /** The id of the key new ciphertexts are made with; stored beside each row's ciphertext. */
  readonly currentKeyId: string;
  encrypt(purpose: string, plaintext: string, aad: string): Promise<Sealed>;
  /** Throws BrokerKeyError when no configured key has `sealed.keyId`, or when the ciphertext fails to authenticate. */
  decrypt(purpose: string, sealed: Sealed, aad: string): Promise<string>;
}

export interface Sealed {
  keyId: string;
  ciphertext: string;
}

declare module 'authplane' {
  interface Services {
    /** Upstream provider records (the broker plugin). */
    brokerProviders: ProviderDirectory;
  }
}

export interface ProviderDirectory {
  /** By slug or id. */
  get(slugOrId: string): Promise<BrokerProvider | undefined>;
  list(): Promise<BrokerProvider[]>;
}
