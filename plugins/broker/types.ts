/**
 * The broker plugin's records and seams, as its own modules and other plugins see them (type-only imports).
 * A broker resource's tokens come from an upstream provider (GitHub, Google, Slack…): the user connects once, the
 * grant is kept encrypted at rest, and token exchange vends a fresh upstream access token to the MCP server.
 */

/** `oauth`: authorization code + refresh upstream. `api_key`, `service_account`: a credential the operator holds. */
export type ProviderProtocol = 'oauth' | 'api_key' | 'service_account';

/**
 * How an upstream token response is shaped when it is not RFC 6749 §5.1 JSON: `slack` wraps the user's token in
 * `authed_user` (OAuth v2 user scopes) and answers errors as 200 `{ok: false}`; `github` may answer errors as 200
 * with `error`, and form-encoded bodies unless asked for JSON.
 */
export type ResponseQuirk = 'none' | 'github' | 'slack';

export interface ProviderConfig {
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
  /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
  token_auth_method: 'client_secret_post' | 'client_secret_basic';
  /** `true` sends PKCE (RFC 7636 S256); every provider named in docs/broker.md accepts it. */
  pkce: boolean;
}

export interface BrokerProvider {
  id: string;
  slug: string;
  display_name: string;
  protocol: ProviderProtocol;
  config: ProviderConfig;
  created_at: string;
  updated_at: string;
}

/** An upstream grant as the token endpoint returned it, normalised across quirks. Times are ms since the epoch. */
export interface UpstreamTokens {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  /** When the access token expires; absent when the provider says nothing (GitHub classic OAuth apps). */
  expires_at?: number;
  /** The scopes granted upstream (the response's `scope`, else what was asked for). */
  scopes: string[];
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
