/**
 * What every framework adapter shares: a verifier, the Protected Resource Metadata document, and one `check` that
 * turns a request into either the verified token or the exact HTTP answer to send (401 with `resource_metadata`,
 * 403 `insufficient_scope` step-up, 503 when AuthPlane cannot be reached, 500 for a wrong `issuer` option).
 * The adapters (`/express`, `/hono`, `/fastmcp`) only move these answers in and out of their framework's shapes,
 * so the same token gets the same answer whichever framework serves it.
 */
import type { VerifiedToken } from './access-token.js';
import { challengeResponse } from './challenge.js';
import { AuthorizationServerError, IssuerMismatchError, TokenError } from './errors.js';
import { createPrmHandler, type PrmHandler } from './protected-resource.js';
import { createVerifier, type RequestLike, type Verifier, type VerifierOptions } from './verifier.js';

export interface ResourceAuthOptions extends VerifierOptions {
  /** Scopes every request needs; named in the 401 challenge, so clients ask for them first. */
  scopes?: readonly string[];
  /** Scopes a JSON-RPC `tools/call` of a given tool needs (MCP servers), checked before the handler runs. */
  toolScopes?: Readonly<Record<string, string | readonly string[]>>;
  /** `scopes_supported` in the metadata (default: `scopes` and every `toolScopes` value). */
  scopesSupported?: readonly string[];
  /** Ask AuthPlane about every request (`true`), or only about calls of these tools (revocation-sensitive ones). */
  introspect?: boolean | readonly string[];
  /** `resource_name` in the metadata. */
  resourceName?: string;
  /** Advertise `dpop_bound_access_tokens_required` (DPoP-bound tokens are verified either way). */
  dpopRequired?: boolean;
}

/** An HTTP answer to send as is. */
export interface AuthResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export type CheckResult = { ok: true; token: VerifiedToken } | { ok: false; response: AuthResponse };

/**
 * The verified token in the shape the official MCP SDK passes to tools as `extra.authInfo` (and reads from
 * `req.auth`), so a server using the SDK's transports gets it without conversion.
 */
export interface TokenAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  resource: URL;
  extra: { sub: string; claims: VerifiedToken['claims']; jkt?: string };
}

export interface ResourceAuth {
  readonly verifier: Verifier;
  readonly prm: PrmHandler;
  readonly resourceMetadataUrl: string;
  /** Verifies the request's token for the base scopes, `requiredScopes`, and the scopes of the tools `body` calls. */
  check(request: RequestLike, options?: { requiredScopes?: readonly string[]; body?: unknown; introspect?: boolean }): Promise<CheckResult>;
  /** The 403 step-up answer for a token that lacks `needed` (found out after dispatch, e.g. inside a tool). */
  stepUp(token: VerifiedToken, needed: readonly string[]): AuthResponse;
  /** The answer for an error `verify` threw; rethrows anything that is not a refusal or an AS failure. */
  refusal(err: unknown): AuthResponse;
  authInfo(token: VerifiedToken): TokenAuthInfo;
}

export const asScopeList = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? value.split(' ').filter(Boolean) : [...value];

/** The `tools/call` names in a JSON-RPC message or batch. */
export function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const msg = m as { method?: unknown; params?: { name?: unknown } } | null;
    return msg?.method === 'tools/call' && typeof msg.params?.name === 'string' ? [msg.params.name] : [];
  });
}

export function createResourceAuth(options: ResourceAuthOptions): ResourceAuth {
  if (options.introspect && (options.introspect === true || options.introspect.length) && !options.introspection) {
    throw new TypeError('introspect needs the introspection option (the client credentials to introspect with)');
  }
  const verifier = createVerifier(options);
  const baseScopes = asScopeList(options.scopes);
  const toolScopes = Object.fromEntries(Object.entries(options.toolScopes ?? {}).map(([tool, s]) => [tool, asScopeList(s)]));
  const scopesSupported = options.scopesSupported ?? [...new Set([...baseScopes, ...Object.values(toolScopes).flat()])];
  const prm = createPrmHandler({
    issuer: options.issuer,
    resource: options.resource,
    scopesSupported,
    resourceName: options.resourceName,
    dpop: { algorithms: verifier.dpopAlgorithms, required: options.dpopRequired },
  });
  const challengeOptions = { resourceMetadataUrl: prm.url, scopes: baseScopes, dpopAlgorithms: verifier.dpopAlgorithms };
  const introspectTools = new Set(Array.isArray(options.introspect) ? options.introspect : []);

  const refusal = (err: unknown): AuthResponse => {
    if (err instanceof TokenError) {
      const { status, headers, body } = challengeResponse(err, challengeOptions);
      return { status, headers, body };
    }
    // A wrong issuer option is a configuration error an operator must see for what it is; the issuers are public.
    if (err instanceof IssuerMismatchError) {
      const received = typeof err.received === 'string' ? `"${err.received}"` : JSON.stringify(err.received);
      return {
        status: 500,
        headers: { 'Content-Type': 'application/json' },
        body: {
          error: 'server_error',
          error_description: `issuer mismatch: the authorization server's metadata names issuer ${received}, this server is configured with "${err.expected}"`,
        },
      };
    }
    if (err instanceof AuthorizationServerError) {
      return {
        status: 503,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '5' },
        body: { error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached' },
      };
    }
    throw err;
  };

  return {
    verifier,
    prm,
    resourceMetadataUrl: prm.url,
    refusal,
    async check(request, opts = {}) {
      const tools = calledTools(opts.body);
      const required = [...new Set([...baseScopes, ...asScopeList(opts.requiredScopes), ...tools.flatMap((t) => toolScopes[t] ?? [])])];
      try {
        const token = await verifier.verifyRequest(request, {
          requiredScopes: required,
          introspect: opts.introspect ?? (options.introspect === true || tools.some((t) => introspectTools.has(t))),
        });
        return { ok: true, token };
      } catch (err) {
        return { ok: false, response: refusal(err) };
      }
    },
    stepUp(token, needed) {
      const missing = needed.filter((s) => !token.scopes.includes(s));
      return refusal(
        new TokenError('insufficient_scope', `this call needs the scope ${missing.join(' ')}`, {
          code: 'insufficient_scope',
          scheme: token.jkt ? 'DPoP' : 'Bearer',
          // What the token has plus what is missing, so re-authorizing loses nothing.
          requiredScopes: [...new Set([...token.scopes, ...needed])],
        }),
      );
    },
    authInfo(token) {
      return {
        token: token.token,
        clientId: token.clientId,
        scopes: token.scopes,
        expiresAt: token.expiresAt,
        resource: new URL(options.resource),
        extra: { sub: token.sub, claims: token.claims, ...(token.jkt ? { jkt: token.jkt } : {}) },
      };
    },
  };
}
