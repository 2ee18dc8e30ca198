import type { Client, ClientAuthenticator, PresentedCredentials, RequestInfo, FormParams } from '../contracts.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import type { HookCatalog, RegistryCatalog } from '../hooks.js';
import { formComponent } from '../http/form-urlencoded.js';

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasic(header: string): { id: string; secret: string } {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed Basic credentials');
  try {
    return { id: formComponent(decoded.slice(0, colon)), secret: formComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClient('malformed Basic credentials');
  }
}

type Presenters = readonly (readonly [string, NonNullable<ClientAuthenticator['present']>])[];

/**
 * Which credentials the request presents. The kernel reads RFC 6749 §2.3.1's own methods; a method a plugin adds
 * (an assertion, RFC 7521 §4.2) reads the request through its authenticator's `present`. Parameters no enabled
 * method recognizes are ignored (RFC 6749 §3.2). §2.3: at most one authentication method per request.
 */
function presentedCredentials(request: RequestInfo, params: FormParams, presenters: Presenters = []): PresentedCredentials {
  const authorization = request.headers.authorization ?? '';
  const basic = /^basic /i.test(authorization);
  const extension: PresentedCredentials[] = [];
  for (const [method, present] of presenters) {
    const presentation = present(request, params);
    if (presentation) extension.push(Object.assign({}, presentation, { method }));
  }
  const methods = (basic ? 1 : 0) + (params.client_secret !== undefined ? 1 : 0) + extension.length;
  if (methods > 1) throw new InvalidRequest('the client used more than one authentication method');
  if (basic) {
    const { id, secret } = decodeBasic(authorization);
    if (params.client_id !== undefined && params.client_id !== id) {
      throw new InvalidClient('client_id does not match the authenticated client');
    }
    return { method: 'client_secret_basic', clientId: id, clientSecret: secret };
  }
  const [other] = extension;
  if (other) {
    if (params.client_id !== undefined && params.client_id !== other.clientId) {
      throw new InvalidClient('client_id does not match the authenticated client');
    }
    return other;
  }
  if (params.client_id === undefined) throw new InvalidClient('client authentication is required');
  if (params.client_secret !== undefined) {
    return { method: 'client_secret_post', clientId: params.client_id, clientSecret: params.client_secret };
  }
  return { method: 'none', clientId: params.client_id };
}

export type AuthenticateClient = (
  request: RequestInfo,
  params: FormParams,
) => Promise<{ client: Client; credentials: PresentedCredentials }>;

/**
 * The client-authentication pipeline shared by the token, introspection and revocation endpoints: presented
 * credentials → `resolveClient` → status → the client's registered method → that method's authenticator.
 * Every failure is the same `invalid_client` to the caller; the reason goes to `onDenied` for metrics.
 */
export function createClientAuthentication(
  hooks: HookCatalog,
  registries: RegistryCatalog,
  onDenied: (reason: string) => void = () => {},
): AuthenticateClient {
  // The registry is frozen once the server booted, before the first request: read it once.
  let presenters: Presenters | undefined;
  return async (request, params) => {
    presenters ??= registries.clientAuthMethods
      .entries()
      .flatMap(([method, authenticator]) => (authenticator.present ? [[method, authenticator.present.bind(authenticator)] as const] : []));
    const credentials = presentedCredentials(request, params, presenters);
    const deny = (reason: string, description: string): never => {
      onDenied(reason);
      throw new InvalidClient(description);
    };
    const client = await hooks.resolveClient.promise(credentials.clientId, request);
    if (!client) return deny('unknown_client', 'client authentication failed');
    if (client.status !== 'active') return deny('client_inactive', `client is ${client.status}`);
    if (client.token_endpoint_auth_method !== credentials.method) {
      return deny(
        'auth_method_mismatch',
        `client must authenticate with ${client.token_endpoint_auth_method}, not ${credentials.method}`,
      );
    }
    const authenticator = registries.clientAuthMethods.get(credentials.method);
    if (!authenticator) return deny('auth_method_unsupported', `authentication method ${credentials.method} is not supported`);
    if (!(await authenticator.authenticate(client, credentials))) return deny('bad_credentials', 'client authentication failed');
    return { client, credentials };
  };
}
