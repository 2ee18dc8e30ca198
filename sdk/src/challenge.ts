/**
 * 401/403 answers with the challenge an MCP client acts on (RFC 6750 §3, RFC 9728 §5.1, RFC 9449 §7.1):
 * `resource_metadata` tells the client where our Protected Resource Metadata is, `scope` which scopes to ask for,
 * and `error="insufficient_scope"` on a 403 asks it to re-authorize for more (step-up). A DPoP-bound token gets a
 * `DPoP` challenge with the accepted `algs` instead of a `Bearer` one.
 */
import { TokenError } from './errors.js';

export interface ChallengeOptions {
  /** The URL of this resource's Protected Resource Metadata document. */
  resourceMetadataUrl: string;
  /** Scopes to ask for: the resource's base scopes on a 401, what the call needs on a 403. */
  scopes?: readonly string[];
  /** For DPoP challenges (RFC 9449 §7.1 `algs`). */
  dpopAlgorithms?: readonly string[];
}

export interface ChallengeResponse {
  status: 400 | 401 | 403;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/** RFC 9110 §11.2 quoted-string: no raw quotes, backslashes or control characters inside. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, "'").replace(/[\u0000-\u001f\u007f]/g, ' ')}"`;
}

/** The `WWW-Authenticate` value for a refusal (or for a request that brought no token, when `error` is undefined). */
export function wwwAuthenticate(error: TokenError | undefined, options: ChallengeOptions): string {
  const scheme = error?.scheme ?? 'Bearer';
  const scopes = error?.code === 'insufficient_scope' && error.requiredScopes.length ? error.requiredScopes : options.scopes;
  // resource_metadata first: it is what an MCP client looks for, and some parsers read the first parameters only.
  const params: [string, string][] = [['resource_metadata', options.resourceMetadataUrl]];
  if (scopes?.length) params.push(['scope', scopes.join(' ')]);
  if (error?.code) {
    params.push(['error', error.code]);
    params.push(['error_description', error.message]);
  }
  if (scheme === 'DPoP' && options.dpopAlgorithms?.length) params.push(['algs', options.dpopAlgorithms.join(' ')]);
  return `${scheme} ${params.map(([k, v]) => `${k}=${quoted(v)}`).join(', ')}`;
}

/** Status, headers and a small JSON body for a refusal. */
export function challengeResponse(error: TokenError | undefined, options: ChallengeOptions): ChallengeResponse {
  const failure = error ?? new TokenError('missing_token', 'an access token is required');
  return {
    status: failure.status,
    headers: {
      'WWW-Authenticate': wwwAuthenticate(error, options),
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
    },
    body: { error: failure.code ?? 'unauthorized', error_description: failure.message },
  };
}
