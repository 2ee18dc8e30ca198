/**
 * Vended tokens: a grant answering with an access token an upstream provider issued (a broker handing an MCP server
 * the user's GitHub token) rather than one of ours. The kernel still writes the response, the audit event and the
 * metric, but the token is the provider's: its `token_type` is written as the provider named it, nothing binds it
 * (no `cnf`, never `DPoP`), no issuance row records it, and it never reaches a log line or an audit event.
 */
import type { GrantResult, TokenResponseBody, UpstreamTokenInput, VendedToken } from '../contracts.js';
import { ServerError } from '../errors.js';

const fault = (message: string, cause: string) => new ServerError(message, { cause: new Error(cause) });

/** Checks what a grant vends and freezes it; the token itself is not enumerable, so logging the object leaks nothing. */
export function makeVendedToken(input: UpstreamTokenInput, grantType: string): VendedToken {
  const bad = (what: string) => fault('the grant vended an invalid token', `grant type '${grantType}' called ctx.vendUpstreamToken with ${what}`);
  if (typeof input?.token !== 'string' || input.token.length === 0) throw bad('no token');
  if (typeof input.tokenType !== 'string' || !/^[\x21-\x7e]+$/.test(input.tokenType)) throw bad('a tokenType that is not one word');
  if (input.expiresIn !== undefined && !(Number.isInteger(input.expiresIn) && input.expiresIn > 0)) {
    throw bad(`expiresIn ${String(input.expiresIn)} (a positive whole number of seconds, or absent)`);
  }
  if (typeof input.scope !== 'string') throw bad('a scope that is not a string');
  if (!Array.isArray(input.audience) || input.audience.some((a) => typeof a !== 'string')) throw bad('an audience that is not a list of strings');
  if (typeof input.provider !== 'string' || input.provider.length === 0) throw bad('no provider');
  const vended = {
    kind: 'vended' as const,
    tokenType: input.tokenType,
    ...(input.expiresIn !== undefined ? { expiresIn: input.expiresIn } : {}),
    scope: input.scope,
    audience: Object.freeze([...input.audience]),
    provider: input.provider,
  };
  Object.defineProperty(vended, 'token', { value: input.token, enumerable: false });
  return Object.freeze(vended) as VendedToken;
}

/**
 * The response body and the audit detail for a grant that vended `vended`. Refused, as a server error and never a
 * response: answering with anything but that token, an upstream refresh token going along (it stays with the plugin
 * that holds the user's grant), and an audit detail that contains the token.
 */
export function vendedAnswer(vended: VendedToken, result: GrantResult | undefined, grantType: string, owner: string | undefined) {
  const who = `grant type '${grantType}' of plugin '${owner}'`;
  if (result?.accessToken !== vended) {
    throw fault('the grant did not issue an access token', `${who} returned an accessToken other than the one ctx.vendUpstreamToken made for this request`);
  }
  if (result.refreshToken !== undefined) {
    throw fault('the grant produced an invalid token response', `${who} returned a refreshToken with a vended token`);
  }
  if (result.audit?.detail !== undefined && JSON.stringify(result.audit.detail).includes(JSON.stringify(vended.token).slice(1, -1))) {
    throw fault('the grant produced an invalid audit event', `${who} put the vended token in its audit detail`);
  }
  const body: TokenResponseBody = { access_token: vended.token, token_type: vended.tokenType };
  if (vended.expiresIn !== undefined) body.expires_in = vended.expiresIn;
  if (vended.scope !== '') body.scope = vended.scope;
  const detail: Record<string, unknown> = {
    provider: vended.provider,
    token_type: vended.tokenType,
    audience: [...vended.audience],
    scope: vended.scope,
    ...result.audit?.detail,
  };
  return { body, detail };
}

/**
 * After the `tokenResponse` taps: a vended token's `access_token` and `token_type` are the provider's. A tap that
 * rewrote them (a binding announced for a token that carries none) would hand the client a token it cannot use.
 */
export function keepVended(body: TokenResponseBody, vended: VendedToken, grantType: string): TokenResponseBody {
  if (body.access_token !== vended.token || body.token_type !== vended.tokenType) {
    throw fault(
      'the token response was rewritten',
      `a tokenResponse tap changed the access_token or token_type of the upstream token grant type '${grantType}' vended ` +
        `(token_type '${vended.tokenType}' became '${body.token_type}'); taps must leave a response alone when ctx.vended is true`,
    );
  }
  return body;
}
