/**
 * What a provider's config must satisfy beyond its shape (provider-schema.ts): URLs the broker may send users and
 * requests to, authorize parameters that cannot override the protocol's own, secrets named by variable only.
 */
import { isIP } from 'node:net';
import { blockedAddressReason } from 'authplane';
import type { ProviderProtocol } from './types.js';

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Set by the broker itself for every authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3; Slack's `user_scope`
 * carries the scopes of a user token): a provider's `authorize_params` may not replace them.
 */
export const RESERVED_AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'user_scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;

/**
 * The server's own settings and secrets live under AUTHPLANE_ (the admin key, the session secret, the database
 * DSN): a provider naming one would send it to an upstream token endpoint.
 */
const SERVER_VARIABLES = /^AUTHPLANE_/i;

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/**
 * An upstream URL: https, or http on a loopback host (local development); no user information or fragment.
 * `request` marks one the server itself calls: a host the outbound guard would refuse is refused here already.
 */
function urlProblem(value: string, options: { query: boolean; request: boolean; allowPrivateAddresses: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'must use https (http only for a loopback host)';
  }
  if (url.username || url.password) return 'must not contain user information';
  if (value.includes('#')) return 'must not contain a fragment';
  if (!options.query && url.search) return 'must not contain a query; put extra parameters in authorize_params';
  if (options.request && !options.allowPrivateAddresses) {
    const bare = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const reason = bare === 'localhost' ? 'is a loopback name' : isIP(bare) ? blockedAddressReason(bare) : undefined;
    if (reason) return `points at ${bare}, which ${reason}: the broker does not call such addresses (broker.outbound.allowPrivateAddresses is off)`;
  }
  return undefined;
}

function variableProblem(field: string, value: unknown): FieldProblem[] {
  if (typeof value === 'string' && SERVER_VARIABLES.test(value)) {
    return [{ field, message: 'must not name one of the server\'s own AUTHPLANE_* variables' }];
  }
  return [];
}

/** Every problem of a config that already has its protocol's shape; fields are named `config.<field>`. */
export function configProblems(protocol: ProviderProtocol, config: Record<string, unknown>, allowPrivateAddresses: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const checkUrl = (field: string, options: { query: boolean; request: boolean }) => {
    const problem = urlProblem(config[field] as string, { ...options, allowPrivateAddresses });
    if (problem) problems.push({ field: `config.${field}`, message: problem });
  };
  if (protocol === 'api_key') {
    problems.push(...variableProblem('config.credential_ref', config.credential_ref));
    return problems;
  }
  problems.push(...variableProblem('config.client_secret_ref', config.client_secret_ref));
  checkUrl('token_url', { query: true, request: true });
  if (protocol === 'oauth') {
    // The browser goes there, not the server: any host a user can reach is fine.
    checkUrl('authorize_url', { query: false, request: false });
    for (const name of Object.keys(config.authorize_params as Record<string, string>)) {
      if ((RESERVED_AUTHORIZE_PARAMS as readonly string[]).includes(name.toLowerCase())) {
        problems.push({ field: `config.authorize_params.${name}`, message: 'is set by the broker itself and cannot be overridden' });
      }
    }
  }
  if (config.scope_separator === ',') {
    (config.default_scopes as string[]).forEach((scope, i) => {
      if (scope.includes(',')) problems.push({ field: `config.default_scopes.${i}`, message: 'contains the scope separator `,`' });
    });
  }
  return problems;
}
