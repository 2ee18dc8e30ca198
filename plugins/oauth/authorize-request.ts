import type { Context } from 'koa';
import {
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  PageError,
  UnauthorizedClient,
  UnsupportedResponseType,
  echo,
  requestInfo,
  type Client,
  type FormParams,
  type RuntimeApi,
} from 'authplane';
import type { Resource } from '../resources/types.js';
import { clip } from './error-text.js';
import { redirectUriMatches } from './redirect.js';

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const OFFLINE_ACCESS = 'offline_access';

export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  resource: Resource;
  /** Resource scopes granted to the access token (never offline_access). */
  scopes: string[];
  offlineAccess: boolean;
  /** The original parameters, carried through login and consent unchanged. */
  params: FormParams;
}

/** An error to send back to the client's verified redirect URI (RFC 6749 §4.1.2.1). */
export class RedirectableError extends Error {
  constructor(
    readonly redirectUri: string,
    readonly state: string | undefined,
    readonly error: OAuthError,
  ) {
    super(error.message);
  }
}

export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const tokens = scope.split(' ').filter(Boolean);
  if (tokens.some((s) => !SCOPE_TOKEN.test(s))) throw new InvalidScope('scope contains invalid characters');
  return [...new Set(tokens)];
}

/**
 * Validates an authorization request. Until the client and its redirect URI are verified, failures are pages
 * (never a redirect to an unverified URI); after that they are RedirectableErrors.
 */
export async function validateAuthorizationRequest(
  ctx: Context,
  params: FormParams,
  runtime: RuntimeApi,
  options: { requireScope: boolean; warnAllScopes: (clientId: string) => void },
): Promise<AuthorizationRequest> {
  const clientId = params.client_id;
  if (!clientId) throw new PageError(400, 'Invalid request', 'The request has no client_id.');
  const request = requestInfo(ctx, runtime.config.server.issuer);
  let client: Client | undefined;
  try {
    client = await runtime.resolveClient(clientId, request);
  } catch (cause) {
    if (cause instanceof OAuthError) throw new PageError(400, 'Unknown application', cause.message, { cause });
    throw cause;
  }
  if (!client) throw new PageError(400, 'Unknown application', 'The application asking for access is not registered here.');
  const registered = client.redirect_uris;
  let redirectUri = params.redirect_uri;
  if (redirectUri === undefined) {
    // OAuth 2.1 §4.1.1: may be omitted only when exactly one redirect URI is registered.
    if (registered.length !== 1) throw new PageError(400, 'Invalid request', 'The request has no redirect_uri.');
    redirectUri = registered[0]!;
  } else if (!registered.some((r) => redirectUriMatches(r, redirectUri!))) {
    throw new PageError(
      400,
      'Invalid redirect URI',
      `The redirect_uri is not registered for this application: ${echo(redirectUri)}. It must equal a registered ` +
        'redirect URI exactly; only on a loopback host (http with 127.0.0.1, [::1] or localhost) the port is not ' +
        'compared (RFC 8252 §7.3), while scheme, host, path and query still must match.',
    );
  }

  const state = params.state;
  const fail = (error: OAuthError): never => {
    throw new RedirectableError(redirectUri!, state, error);
  };
  if (client.status !== 'active') fail(new UnauthorizedClient(`client is ${client.status}`));
  if (params.response_type !== 'code') {
    fail(
      params.response_type === undefined
        ? new InvalidRequest('response_type is required')
        : new UnsupportedResponseType('only response_type=code is supported'),
    );
  }
  if (!client.grant_types.includes('authorization_code')) {
    fail(new UnauthorizedClient('client is not allowed to use the authorization code grant'));
  }
  // OAuth 2.1 §7.5.2 / MCP: PKCE with S256 only; a missing method would mean `plain`.
  if (!params.code_challenge) fail(new InvalidRequest('code_challenge is required (PKCE)'));
  if (params.code_challenge_method !== 'S256') {
    fail(new InvalidRequest('code_challenge_method must be S256'));
  }
  if (!CODE_CHALLENGE.test(params.code_challenge!)) fail(new InvalidRequest('code_challenge is malformed'));

  if (!params.resource) fail(new InvalidTarget('resource is required (RFC 8707)'));
  const resource = await runtime.use('resources').resolve(params.resource!);
  if (!resource) fail(new InvalidTarget(`resource ${echo(params.resource!)} is not registered`));
  if (resource!.backend_kind !== 'mint') {
    fail(new InvalidTarget(`resource ${echo(params.resource!)} is not served by the authorization endpoint`));
  }

  let requested: string[] = [];
  try {
    requested = parseScope(params.scope);
  } catch (e) {
    fail(e as OAuthError);
  }
  const offlineAccess = requested.includes(OFFLINE_ACCESS);
  let scopes = requested.filter((s) => s !== OFFLINE_ACCESS);
  const catalog = new Set(resource!.scopes.map((s) => s.name));
  const ceiling = new Set((client.scope ?? '').split(' ').filter(Boolean));
  const withinCeiling = (s: string) => ceiling.size === 0 || ceiling.has(s);
  if (scopes.length === 0) {
    if (options.requireScope) {
      fail(
        new InvalidScope(
          `scope is required; the resource offers: ${clip([...catalog]) || '(no scopes)'} ` +
            '(an operator may set AUTHPLANE_OAUTH_REQUIRE_SCOPE=false to grant all of them when none is asked for)',
        ),
      );
    }
    scopes = [...catalog].filter(withinCeiling);
    if (scopes.length === 0) fail(new InvalidScope('the client may use none of the resource\'s scopes'));
    options.warnAllScopes(client.client_id);
  }
  const unknown = scopes.filter((s) => !catalog.has(s));
  if (unknown.length) fail(new InvalidScope(`scope not offered by the resource: ${clip(unknown)}`));
  const beyond = scopes.filter((s) => !withinCeiling(s));
  if (beyond.length) fail(new InvalidScope(`scope not allowed for this client: ${clip(beyond)}`));

  return { client, redirectUri: redirectUri!, state, codeChallenge: params.code_challenge!, resource: resource!, scopes, offlineAccess, params };
}
