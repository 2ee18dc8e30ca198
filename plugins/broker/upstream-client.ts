/**
 * Calls to upstream token endpoints: the authorization code exchange and refresh of `oauth` providers (RFC 6749
 * §4.1.3, §6, PKCE RFC 7636 §4.5) and the client credentials grant of `service_account` providers (§4.4). Each goes
 * through the kernel's guarded outbound request (no redirects, one deadline, a byte cap, the SSRF guard). The
 * client secret is read from the server's environment, by the name the provider holds, at each call, and never
 * leaves this module except in the request itself: errors quote the upstream with every secret sent redacted.
 */
import { outboundRequest, OutboundRequestError, type OutboundResponse } from 'authplane';
import { readTokenResponse } from './token-response.js';
import type {
  OAuthProvider,
  RefreshedTokens,
  ServiceAccountProvider,
  TokenAuthMethod,
  UpstreamTokens,
} from './types.js';
import { UpstreamError } from './upstream-error.js';

export interface OutboundSettings {
  /** The deadline of one call, connect to last byte (ms). */
  timeoutMs: number;
  maxResponseBytes: number;
  allowPrivateAddresses: boolean;
}

export interface UpstreamClientDependencies {
  outbound: OutboundSettings;
  /** A variable of the server's environment by name (`RegisterApi.environmentVariable`). */
  environmentVariable: (name: string) => string | undefined;
  /** The server's clock (ms), which `expires_in` counts from. */
  now: () => number;
}

/** What a call needs of a provider: both protocols that talk to a token endpoint have these. */
type TokenEndpointProvider = OAuthProvider | ServiceAccountProvider;

const USER_AGENT = 'AuthPlane-Broker/1';
const REDACTED = '[redacted]';

/** RFC 6749 §2.3.1: client id and secret are form-encoded before they are joined for Basic authentication. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export class UpstreamClient {
  constructor(private readonly deps: UpstreamClientDependencies) {}

  /**
   * Redeems an authorization code. `scopes` is what the authorize request asked for: the granted scopes when the
   * answer names none (RFC 6749 §5.1).
   */
  exchangeCode(
    provider: OAuthProvider,
    input: { code: string; codeVerifier?: string; redirectUri: string; scopes?: readonly string[] },
  ): Promise<UpstreamTokens> {
    const params: Record<string, string> = { grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirectUri };
    if (input.codeVerifier !== undefined) params.code_verifier = input.codeVerifier;
    return this.#call(provider, params, [input.code, input.codeVerifier], input.scopes ?? []);
  }

  /**
   * Refreshes an access token. The answer's refresh token replaces the one given when the provider rotated it;
   * otherwise the one given stays the grant's (`refresh_token_rotated: false`). `grantedScopes`, the grant's scopes
   * as stored, stand when the answer names none (RFC 6749 §5.1: unchanged).
   */
  async refresh(provider: OAuthProvider, refreshToken: string, options: { grantedScopes?: readonly string[] } = {}): Promise<RefreshedTokens> {
    const tokens = await this.#call(provider, { grant_type: 'refresh_token', refresh_token: refreshToken }, [refreshToken], options.grantedScopes ?? []);
    const rotated = tokens.refresh_token !== undefined && tokens.refresh_token !== refreshToken;
    return { ...tokens, refresh_token: tokens.refresh_token ?? refreshToken, refresh_token_rotated: rotated };
  }

  /** A token for the service account itself (RFC 6749 §4.4); `scopes` default to the provider's default_scopes. */
  clientCredentials(provider: ServiceAccountProvider, scopes?: readonly string[]): Promise<UpstreamTokens> {
    const asked = scopes ?? provider.config.default_scopes;
    const params: Record<string, string> = { grant_type: 'client_credentials' };
    if (asked.length) params.scope = asked.join(provider.config.scope_separator);
    return this.#call(provider, params, [], asked);
  }

  async #call(
    provider: TokenEndpointProvider,
    params: Record<string, string>,
    secrets: (string | undefined)[],
    fallbackScopes: readonly string[],
  ): Promise<UpstreamTokens> {
    const { config } = provider;
    const secret = this.deps.environmentVariable(config.client_secret_ref);
    if (!secret) {
      throw new UpstreamError('misconfigured', provider.slug, `provider '${provider.slug}': the variable ${config.client_secret_ref} holding its client secret is not set`);
    }
    const sent = [secret, ...secrets].filter((s): s is string => typeof s === 'string' && s.length > 0);
    // Longest first, so a secret containing another is redacted whole.
    sent.sort((a, b) => b.length - a.length);
    const redact = (text: string) => sent.reduce((out, value) => out.split(value).join(REDACTED), text);
    const { headers, body } = clientAuthentication(config.token_auth_method, config.client_id, secret, params);
    const response = await this.#post(provider, config.token_url, headers, body, redact);
    return readTokenResponse(response, {
      provider: provider.slug,
      quirk: provider.protocol === 'oauth' ? provider.config.response_quirk : 'none',
      scopeSeparator: config.scope_separator,
      now: this.deps.now(),
      fallbackScopes,
      redact,
    });
  }

  async #post(
    provider: TokenEndpointProvider,
    tokenUrl: string,
    headers: Record<string, string>,
    body: URLSearchParams,
    redact: (text: string) => string,
  ): Promise<OutboundResponse> {
    const { outbound } = this.deps;
    try {
      return await outboundRequest({
        url: new URL(tokenUrl),
        method: 'POST',
        headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...headers },
        body,
        timeoutMs: outbound.timeoutMs,
        maxResponseBytes: outbound.maxResponseBytes,
        allowPrivateAddresses: outbound.allowPrivateAddresses,
        checkHead({ status }) {
          if (status >= 300 && status < 400) {
            throw new UpstreamError('bad_response', provider.slug, `provider '${provider.slug}' token endpoint answered ${status}; redirects are not followed`, { status });
          }
        },
      });
    } catch (err) {
      if (!(err instanceof OutboundRequestError)) throw err;
      const reason = err.reason === 'network_error' ? 'network' : err.reason;
      // The outbound message names the host and the failure, nothing sent; redacted all the same.
      throw new UpstreamError(reason, provider.slug, `provider '${provider.slug}' token endpoint: ${redact(err.message)}`, { cause: err });
    }
  }
}

/** RFC 6749 §2.3.1: the client's credentials in a Basic header, or as `client_id`/`client_secret` in the form. */
function clientAuthentication(
  method: TokenAuthMethod,
  clientId: string,
  secret: string,
  params: Record<string, string>,
): { headers: Record<string, string>; body: URLSearchParams } {
  if (method === 'client_secret_post') {
    return { headers: {}, body: new URLSearchParams({ ...params, client_id: clientId, client_secret: secret }) };
  }
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64');
  return { headers: { authorization: `Basic ${basic}` }, body: new URLSearchParams(params) };
}
