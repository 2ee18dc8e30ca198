import assert from 'node:assert/strict';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Page, ScriptedBrowser } from './browser.js';

export interface ProviderState {
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  verifier: string;
  code?: string;
  /** The whole redirect back (code, state, iss), for checks of `iss` (RFC 9207). */
  callback?: URL;
  authorizationUrls: URL[];
}

export interface MemoryProviderOptions {
  redirectUri: string;
  /** The client's metadata but its redirect URIs (`[redirectUri]`). */
  metadata: Omit<OAuthClientMetadata, 'redirect_uris'>;
  /** A pre-registered client; without one the SDK registers through DCR and the provider keeps what it got. */
  clientId?: string;
  /** A Client ID Metadata Document URL the SDK may use as the client_id instead of registering. */
  clientMetadataUrl?: string;
  /** Walks the authorization URL in a scripted browser and returns the page the client was sent back to. */
  authorize: (url: URL) => Promise<Pick<Page, 'url' | 'status' | 'body'>>;
}

/**
 * The MCP SDK's OAuthClientProvider with everything in memory, as a test client keeps it. SDK v2's provider has the
 * same shape under its own types: cast the result there.
 */
export function memoryProvider(options: MemoryProviderOptions): { provider: OAuthClientProvider; state: ProviderState } {
  const state: ProviderState = { verifier: '', authorizationUrls: [] };
  if (options.clientId !== undefined) state.client = { client_id: options.clientId };
  const provider: OAuthClientProvider = {
    get redirectUrl() {
      return options.redirectUri;
    },
    get clientMetadata() {
      return { redirect_uris: [options.redirectUri], ...options.metadata };
    },
    ...(options.clientMetadataUrl === undefined ? {} : { clientMetadataUrl: options.clientMetadataUrl }),
    clientInformation: () => state.client,
    ...(options.clientId === undefined
      ? {
          saveClientInformation: (info: OAuthClientInformationMixed) => {
            state.client = info;
          },
        }
      : {}),
    tokens: () => state.tokens,
    saveTokens: (saved) => {
      state.tokens = saved;
    },
    saveCodeVerifier: (v) => {
      state.verifier = v;
    },
    codeVerifier: () => state.verifier,
    async redirectToAuthorization(url) {
      state.authorizationUrls.push(url);
      const back = await options.authorize(url);
      const callback = new URL(back.url);
      assert.ok(callback.searchParams.get('code'), `no code in ${back.url} (${back.status}) ${back.body.slice(0, 300)}`);
      state.code = callback.searchParams.get('code')!;
      state.callback = callback;
    },
  };
  return { provider, state };
}

/** Our own login page (when the browser has no session yet) and consent (when asked), allowing. */
export function loginAndConsent(browser: ScriptedBrowser, user: { email: string; password: string }) {
  return async (url: URL): Promise<Page> => {
    let page: Page = await browser.request(url.toString());
    if (page.body.includes('name="password"')) page = await browser.login(page, user.email, user.password);
    if (page.status === 200 && page.body.includes('name="decision"')) page = await browser.consent(page, 'allow');
    return page;
  };
}
