/**
 * The `state` of a connect's upstream authorization request (RFC 6749 §4.1.1, §10.12): everything the callback needs
 * — who started it, for which provider and resource, where to go back, which upstream scopes were asked for, the
 * PKCE verifier (RFC 7636), when it expires and a nonce — sealed with the broker's SecretBox under a purpose of its
 * own. AES-GCM (or Vault Transit) makes it tamper-evident and keeps the verifier secret from the upstream and from
 * anyone who sees the URL; the associated data binds it to the provider's callback. Stateless, so any replica
 * answers the callback. The nonce is also in an HttpOnly cookie of the browser that started (nonce-cookie.ts): a
 * state carried to another browser is refused there.
 */
import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../types.js';
import { BrokerKeyError } from '../crypto/local-box.js';

/** Keys of this purpose seal connect states and nothing else (HKDF info / Vault associated data). */
export const CONNECT_STATE_PURPOSE = 'connect_state';

/** Long enough to sign in and consent at the upstream, short enough that a stale link is refused. */
export const CONNECT_STATE_TTL_MS = 10 * 60 * 1000;

/** A state longer than this was not made here; refused before any decryption. */
const MAX_STATE_LENGTH = 4096;

export interface ConnectState {
  userId: string;
  providerId: string;
  providerSlug: string;
  resourceId: string;
  resourceSlug: string;
  /** Absent when the connect ends on the server's own "connected" page. */
  returnUrl?: string;
  /** What the authorize request asked for upstream: the granted scopes when the token response names none. */
  upstreamScopes: string[];
  /** The PKCE verifier, when the provider uses PKCE. */
  codeVerifier?: string;
  /** ms since the epoch, by the server's clock. */
  expiresAt: number;
  nonce: string;
}

/** Why a state was refused. */
export type StateProblem = 'malformed' | 'tampered';

export class ConnectStateError extends Error {
  override readonly name = 'ConnectStateError';
  constructor(
    readonly problem: StateProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const aad = (providerSlug: string) => `connect_state/${providerSlug}`;

/** The state a connect sends upstream: `base64url(key id).ciphertext`. */
export async function sealState(box: SecretBox, state: ConnectState): Promise<string> {
  const payload = JSON.stringify([
    1,
    state.userId,
    state.providerId,
    state.providerSlug,
    state.resourceId,
    state.resourceSlug,
    state.returnUrl ?? '',
    state.upstreamScopes,
    state.codeVerifier ?? '',
    state.expiresAt,
    state.nonce,
  ]);
  const sealed = await box.encrypt(CONNECT_STATE_PURPOSE, payload, aad(state.providerSlug));
  return `${Buffer.from(sealed.keyId).toString('base64url')}.${sealed.ciphertext}`;
}

/**
 * Opens a state that came back to `/connect/<providerSlug>/callback`. Throws ConnectStateError when it is not one
 * this server sealed for that provider (altered, truncated, made for another provider, under a key no longer
 * configured). Errors of the box itself (Vault unreachable) propagate as they are. Expiry is the caller's check.
 */
export async function openState(box: SecretBox, providerSlug: string, raw: string): Promise<ConnectState> {
  const dot = raw.indexOf('.');
  if (raw.length > MAX_STATE_LENGTH || dot < 1) throw new ConnectStateError('malformed', 'the state is not one this server made');
  const keyId = Buffer.from(raw.slice(0, dot), 'base64url').toString('utf8');
  let payload: string;
  try {
    payload = await box.decrypt(CONNECT_STATE_PURPOSE, { keyId, ciphertext: raw.slice(dot + 1) }, aad(providerSlug));
  } catch (err) {
    if (err instanceof BrokerKeyError) throw new ConnectStateError('tampered', 'the state does not authenticate', { cause: err });
    throw err;
  }
  const fields = JSON.parse(payload) as unknown[];
  if (!Array.isArray(fields) || fields[0] !== 1 || fields.length !== 11) throw new ConnectStateError('malformed', 'the state has an unknown layout');
  const [, userId, providerId, slug, resourceId, resourceSlug, returnUrl, upstreamScopes, codeVerifier, expiresAt, nonce] = fields as [
    number, string, string, string, string, string, string, string[], string, number, string,
  ];
  return {
    userId,
    providerId,
    providerSlug: slug,
    resourceId,
    resourceSlug,
    ...(returnUrl ? { returnUrl } : {}),
    upstreamScopes,
    ...(codeVerifier ? { codeVerifier } : {}),
    expiresAt,
    nonce,
  };
}

/** Constant-time comparison of the state's nonce with the cookie's. */
export function nonceMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
