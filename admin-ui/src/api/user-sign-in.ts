/**
 * Signing in with a user's login: the console is a public OAuth client of this server (authorization code + PKCE
 * S256, RFC 7636), so the login page, its identity providers and consent are everyone's. The verifier and state
 * live in sessionStorage for the round trip only.
 */
import type { ConsoleConfig } from '../app/pages.js';
import { clearCredential, saveCredential } from './session.js';

type UserSignIn = NonNullable<ConsoleConfig['userSignIn']>;
const PENDING_KEY = 'authplane.admin.pending';

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** How to sign in with a user's login, when the server offers it (the admin-ui-login plugin), else undefined. */
export async function userSignInConfig(): Promise<UserSignIn | undefined> {
  try {
    const response = await fetch('/admin/ui/sign-in', { credentials: 'omit', headers: { accept: 'application/json' } });
    const body = response.ok ? ((await response.json()) as UserSignIn & { available: boolean }) : undefined;
    return body?.available ? body : undefined;
  } catch {
    return undefined;
  }
}

/** Sends the browser to the authorization endpoint. */
export async function beginUserSignIn(config: UserSignIn): Promise<void> {
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    resource: config.resource,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** The callback's query: the code exchanged for an access token (kept as this tab's credential), or why not. */
export async function completeUserSignIn(config: UserSignIn, search: string): Promise<void> {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.get('error')) throw new Error(params.get('error_description') ?? params.get('error')!);
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state) {
    throw new Error('this sign-in did not start in this tab (or was already used): sign in again');
  }
  const response = await fetch(config.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: config.redirectUri,
      client_id: config.clientId,
      code_verifier: pending.verifier,
      resource: config.resource,
    }),
    credentials: 'omit',
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new Error(String(body.error_description ?? body.error ?? `the token endpoint answered ${response.status}`));
  }
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 600;
  saveCredential({ kind: 'user', secret: body.access_token, expiresAt: Date.now() + lifetime * 1000, name: '' });
}

/** Revokes the user's access token (RFC 7009), best effort: the credential is forgotten either way. */
export async function revokeUserToken(config: UserSignIn | undefined, token: string): Promise<void> {
  clearCredential();
  if (!config?.revocationEndpoint) return;
  await fetch(config.revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token', client_id: config.clientId }),
    credentials: 'omit',
  }).catch(() => undefined);
}
