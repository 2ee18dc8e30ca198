/**
 * `POST /oauth/register` (RFC 7591 §3). The request's shape is checked here; rules between fields and redirect URI
 * shapes are the clients plugin's (`clients.register`), the same as the admin API's. A rejected registration names
 * every bad field in `error_description`.
 */
import type { Context } from 'koa';
import {
  AccessDenied,
  bodyValidator,
  OAuthError,
  ProblemError,
  readJson,
  type RegisterApi,
} from 'authplane';
import type { ClientMetadataInput, FieldProblem } from '../clients/types.js';
import type { DcrMode } from './types.js';
import { ENFORCED_METADATA_FIELDS, INFORMATIONAL_FIELDS, registrationRequestSchema, type DcrOptions, type RegistrationRequest } from './schema.js';

/** RFC 7591 §3.2.2 error codes. */
const INVALID_REDIRECT_URI = 'invalid_redirect_uri';
const INVALID_CLIENT_METADATA = 'invalid_client_metadata';

const validateRequest: (body: unknown) => RegistrationRequest = bodyValidator(registrationRequestSchema);

/** `invalid_redirect_uri` when only redirect URIs are wrong, `invalid_client_metadata` otherwise (RFC 7591 §3.2.2). */
export function registrationError(problems: readonly FieldProblem[]): OAuthError {
  const onlyRedirects = problems.every((p) => p.field === 'redirect_uris' || p.field.startsWith('redirect_uris.'));
  const description = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new OAuthError(onlyRedirects ? INVALID_REDIRECT_URI : INVALID_CLIENT_METADATA, description, 400);
}

function parseBody(ctx: Context): RegistrationRequest {
  try {
    return validateRequest(readJson(ctx));
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    const problems = (err.extra.errors as FieldProblem[] | undefined) ?? [{ field: '(body)', message: err.message }];
    throw registrationError(problems);
  }
}

export function toMetadataInput(request: RegistrationRequest, refreshEnabled: boolean): ClientMetadataInput {
  const metadata: Record<string, unknown> = {};
  for (const field of [...INFORMATIONAL_FIELDS, ...ENFORCED_METADATA_FIELDS]) {
    if (request[field] !== undefined) metadata[field] = request[field];
  }
  return {
    client_name: request.client_name,
    redirect_uris: request.redirect_uris ?? [],
    // RFC 7591 §2 defaults to authorization_code alone; MCP clients expect to refresh, so refresh_token is added
    // when this server issues refresh tokens.
    grant_types: request.grant_types ?? ['authorization_code', ...(refreshEnabled ? ['refresh_token'] : [])],
    ...(request.response_types ? { response_types: request.response_types } : {}),
    token_endpoint_auth_method: request.token_endpoint_auth_method ?? 'none',
    ...(request.application_type ? { application_type: request.application_type } : {}),
    ...(request.agent !== undefined ? { agent: request.agent } : {}),
    ...(request.agent_description !== undefined ? { agent_description: request.agent_description } : {}),
    // A self-registered client sets no scope ceiling of its own: clients send values no resource offers
    // (claude.ai registers `scope: "claudeai"`), which would otherwise lock them out of every scope.
    scope: '',
    metadata,
  };
}

/** Every redirect URI must be approved, and there must be one: a client without any would skip the check. */
function approvedRedirectProblems(redirectUris: readonly string[], approved: readonly string[]): FieldProblem[] {
  if (redirectUris.length === 0) return [{ field: 'redirect_uris', message: 'is required in approved_redirects mode' }];
  return redirectUris.flatMap((uri, i) =>
    approved.includes(uri) ? [] : [{ field: `redirect_uris.${i}`, message: 'is not an approved redirect URI (dcr.approvedRedirects)' }],
  );
}

export function registerRegistrationEndpoint(
  api: RegisterApi,
  options: Readonly<DcrOptions>,
  currentMode: () => Promise<DcrMode>,
): void {
  api.route('public', 'POST', '/oauth/register', async (ctx) => {
    const mode = await currentMode();
    if (mode === 'admin_only') {
      throw new AccessDenied('dynamic client registration is disabled on this server; ask an administrator to register the client');
    }
    const request = parseBody(ctx);
    const input = toMetadataInput(request, api.registries.grantTypes.has('refresh_token'));
    // A method no enabled plugin authenticates (private_key_jwt without the private-key-jwt plugin) would register a
    // client that can never authenticate.
    if (!api.registries.clientAuthMethods.has(input.token_endpoint_auth_method)) {
      const methods = api.runtime().registries.clientAuthMethods.names();
      throw registrationError([{ field: 'token_endpoint_auth_method', message: `must be one of: ${methods.join(', ')}` }]);
    }
    if (mode === 'approved_redirects') {
      const problems = approvedRedirectProblems(input.redirect_uris, options.approvedRedirects);
      if (problems.length) throw registrationError(problems);
    }
    const result = await api.runtime().use('clients').register(input, {
      source: 'dcr',
      actor_id: 'dcr',
      ip: ctx.state.clientIp as string,
      request_id: ctx.state.requestId as string,
    });
    if (!result.ok) throw registrationError(result.problems);
    const { client, clientSecret, createdAt } = result;
    // RFC 7591 §3.2.1: the response carries the secret, so no cache may keep it.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.status = 201;
    ctx.body = {
      client_id: client.client_id,
      client_id_issued_at: Math.floor(createdAt / 1000),
      // RFC 7591 §3.2.1: 0 means the secret does not expire.
      ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
      client_name: client.client_name,
      redirect_uris: client.redirect_uris,
      grant_types: client.grant_types,
      response_types: client.response_types,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      application_type: client.application_type,
      // Echoed as stored (the description trimmed) when the registrant declared them.
      ...(request.agent !== undefined || request.agent_description !== undefined
        ? { agent: client.metadata?.agent, agent_description: client.metadata?.agent_description }
        : {}),
      ...input.metadata,
    };
  });
}
