/**
 * Rules between client metadata fields that a JSON schema cannot express: redirect URI shapes per application
 * type, grant types that need redirect URIs or a secret, response types that follow from the grants. A violation
 * is a 400 problem naming every bad field, in the same `errors` shape as schema errors.
 */
import { badRequest } from 'authplane';
import type { FieldProblem } from './types.js';
import { AUTHENTICATED_METHODS, KNOWN_GRANT_TYPES, type ApplicationType, type AuthMethod, type ClientFields } from './schema.js';

/** The stored, normalized form of a client's metadata. */
export interface NormalizedFields {
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: AuthMethod;
  scope: string;
  application_type: ApplicationType;
  agent: boolean;
  agent_description: string | null;
}

/** RFC 8252 §7.3 / §8.3: loopback redirects may use http, as no one else can listen on the machine's interface. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Schemes that are not an app's private-use scheme (RFC 8252 §7.1) and could run code or leak the code. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript', 'data', 'file', 'vbscript', 'about', 'blob', 'filesystem', 'ftp', 'ws', 'wss', 'mailto', 'tel', 'sms',
]);

/**
 * Whether the URI has a user-information part, even an empty one (`http://@127.0.0.1/cb`) that URL parsing drops:
 * `http://evil@127.0.0.1/cb` reads as a host named evil to a person, and no redirect URI needs one.
 */
export function hasUserinfo(raw: string, url: URL): boolean {
  if (url.username || url.password) return true;
  // http(s) parse leniently (`http:@host`, `http:\\@host`), so every slash and backslash after the scheme is skipped.
  const authority = /^https?:[/\\]*([^/?#\\]*)/i.exec(raw) ?? /^[a-z][a-z\d+.-]*:\/\/([^/?#]*)/i.exec(raw);
  return authority?.[1]?.includes('@') ?? false;
}

/** Why a redirect URI is unacceptable for this application type, or undefined when it is fine. */
export function redirectUriProblem(raw: string, applicationType: ApplicationType): string | undefined {
  if (/\s/.test(raw)) return 'must not contain whitespace';
  // RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment component.
  if (raw.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URI';
  }
  if (hasUserinfo(raw, url)) return 'must not contain user information';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.hostname ? undefined : 'must name a host';
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'must use https (http is allowed only on loopback hosts: 127.0.0.1, [::1], localhost)';
  }
  if (FORBIDDEN_SCHEMES.has(scheme)) return `must not use the ${scheme} scheme`;
  // RFC 8252 §7.1: private-use URI schemes are for native apps, which the operating system routes the code to.
  if (applicationType !== 'native') return 'may use a private-use scheme only when application_type is native';
  return undefined;
}

function normalizeScope(scope: string): string {
  return [...new Set(scope.split(' ').filter(Boolean))].join(' ');
}

/** Which grant types a caller may assign: the admin API accepts known and registered grants, DCR only enabled ones. */
export interface GrantPolicy {
  accepts(grantType: string): boolean;
  /** The tail of the error message: what would have been accepted. */
  expected: string;
}

/** The admin API's policy: known grants, or any grant a plugin registers (a custom grant is assigned like a built-in). */
export function adminGrantPolicy(grantRegistered: (grantType: string) => boolean): GrantPolicy {
  return {
    accepts: (grant) => (KNOWN_GRANT_TYPES as readonly string[]).includes(grant) || grantRegistered(grant),
    expected: `${KNOWN_GRANT_TYPES.join(', ')}, or a grant type an enabled plugin registers`,
  };
}

/**
 * Checks the complete set of fields (after an update is merged): every problem, or the fields normalized.
 * `response_types` left undefined follows the grants: `['code']` with authorization_code, `[]` otherwise.
 */
export function checkClientFields(
  fields: ClientFields,
  grants: GrantPolicy,
): { ok: true; fields: NormalizedFields } | { ok: false; problems: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const applicationType = fields.application_type ?? 'web';
  const redirectUris = fields.redirect_uris ?? [];
  redirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri, applicationType);
    if (problem) errors.push({ field: `redirect_uris.${i}`, message: problem });
  });
  const grantTypes = fields.grant_types;
  grantTypes.forEach((grant, i) => {
    if (!grants.accepts(grant)) errors.push({ field: `grant_types.${i}`, message: `must be one of: ${grants.expected}` });
  });
  const usesCode = grantTypes.includes('authorization_code');
  if (usesCode && redirectUris.length === 0) {
    errors.push({ field: 'redirect_uris', message: 'needs at least one URI when grant_types includes authorization_code' });
  }
  const responseTypes = fields.response_types ?? (usesCode ? ['code'] : []);
  // RFC 7591 §2.1: response_types and grant_types must agree.
  if (usesCode && !responseTypes.includes('code')) {
    errors.push({ field: 'response_types', message: 'must include code when grant_types includes authorization_code' });
  }
  if (!usesCode && responseTypes.length > 0) {
    errors.push({ field: 'response_types', message: 'code needs authorization_code in grant_types' });
  }
  // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
  if (grantTypes.includes('client_credentials') && !AUTHENTICATED_METHODS.has(fields.token_endpoint_auth_method)) {
    errors.push({
      field: 'token_endpoint_auth_method',
      message: 'must be client_secret_basic, client_secret_post or private_key_jwt when grant_types includes client_credentials',
    });
  }
  errors.push(...keyProblems(fields.jwks, fields.jwks_uri));
  if (errors.length) return { ok: false, problems: errors };
  return {
    ok: true,
    fields: {
      client_name: fields.client_name.trim(),
      redirect_uris: [...redirectUris],
      grant_types: [...grantTypes],
      response_types: [...responseTypes],
      token_endpoint_auth_method: fields.token_endpoint_auth_method,
      scope: normalizeScope(fields.scope ?? ''),
      application_type: applicationType,
      agent: fields.agent ?? false,
      agent_description: fields.agent_description?.trim() || null,
    },
  };
}

/** The admin API's form of checkClientFields: a 400 problem naming every bad field, in the schema errors' shape. */
export function normalizeClientFields(fields: ClientFields, grantRegistered: (grantType: string) => boolean): NormalizedFields {
  const checked = checkClientFields(fields, adminGrantPolicy(grantRegistered));
  if (!checked.ok) {
    throw badRequest(checked.problems.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: checked.problems });
  }
  return checked.fields;
}

/**
 * RFC 7591 §2: `jwks` and `jwks_uri` must not both be present; the keys are public (a private or symmetric key is
 * refused, it would be a shared secret stored in the clear); the URI is https, or http on a loopback host. A
 * `private_key_jwt` client may have neither: then only a workload token mapped to it (trusted-issuers) proves it.
 */
export function keyProblems(jwks: unknown, jwksUri: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (jwks != null && jwksUri != null) problems.push({ field: 'jwks_uri', message: 'must not be given together with jwks' });
  if (jwksUri != null) {
    let url: URL | undefined;
    try {
      url = new URL(String(jwksUri));
    } catch {
      problems.push({ field: 'jwks_uri', message: 'must be an absolute URI' });
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      problems.push({ field: 'jwks_uri', message: 'must use https (http is allowed only on loopback hosts)' });
    }
  }
  const keys = (jwks as { keys?: unknown } | null | undefined)?.keys;
  if (jwks != null && !Array.isArray(keys)) problems.push({ field: 'jwks', message: 'must be a JWK set ({"keys": [...]})' });
  if (Array.isArray(keys)) {
    keys.forEach((key: Record<string, unknown>, i) => {
      if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') problems.push({ field: `jwks.keys.${i}`, message: 'must be a JWK with kty' });
      else if (key.kty === 'oct' || 'd' in key) problems.push({ field: `jwks.keys.${i}`, message: 'must be a public key (no private or symmetric keys)' });
    });
  }
  return problems;
}
