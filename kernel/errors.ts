/**
 * One module for every error the server can answer with. Handlers throw these; one middleware per listener turns
 * them into a response (OAuth JSON, RFC 9457 problem details or an HTML page), so no handler sets a status by hand.
 */

export interface ErrorOptions {
  /** Internal detail for the log; never sent to the client. */
  cause?: unknown;
  headers?: Record<string, string>;
}

/** RFC 6749 §5.2 / RFC 6750 §3.1 error: `{error, error_description}`; `error_description` is client-safe. */
export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(error: string, description: string, status = 400, options: ErrorOptions = {}) {
    super(description, { cause: options.cause });
    this.name = 'OAuthError';
    this.error = error;
    this.status = status;
    this.headers = options.headers ?? {};
  }
}

const oauthError = (code: string, status: number) =>
  class extends OAuthError {
    static readonly code = code;
    constructor(description: string, options?: ErrorOptions) {
      super(code, description, status, options);
    }
  };

export class InvalidRequest extends oauthError('invalid_request', 400) {}
export class InvalidGrant extends oauthError('invalid_grant', 400) {}
export class UnauthorizedClient extends oauthError('unauthorized_client', 400) {}
export class UnsupportedGrantType extends oauthError('unsupported_grant_type', 400) {}
export class UnsupportedResponseType extends oauthError('unsupported_response_type', 400) {}
export class InvalidScope extends oauthError('invalid_scope', 400) {}
export class InvalidTarget extends oauthError('invalid_target', 400) {}
export class AccessDenied extends oauthError('access_denied', 403) {}
export class InvalidDpopProof extends oauthError('invalid_dpop_proof', 400) {}
export class UseDpopNonce extends oauthError('use_dpop_nonce', 400) {}
export class ServerError extends oauthError('server_error', 500) {}
export class TemporarilyUnavailable extends oauthError('temporarily_unavailable', 503) {}
export class SlowDown extends oauthError('slow_down', 429) {}

/** RFC 6749 §5.2: a failed client authentication is 401 with a `WWW-Authenticate` challenge. */
export class InvalidClient extends OAuthError {
  static readonly code = 'invalid_client';
  constructor(description: string, options: ErrorOptions = {}) {
    // Not `{ ...options, headers }`: on Node 20 a literal that opens with a spread gives every object its own
    // hidden class, and failed client authentications come in floods (docs/performance.md).
    super('invalid_client', description, 401, Object.assign({}, options, {
      headers: { 'WWW-Authenticate': 'Basic realm="authplane", charset="UTF-8"', ...options.headers },
    }));
  }
}

/** Why a user's consent is needed: none was given yet, or what was given does not cover the request. */
export type ConsentCause = 'consent_missing' | 'scope_insufficient';

/**
 * The `type` of a `consent_required` problem: a stable URN rather than a URL under the issuer, so a client compares
 * it as it is on every deployment, and nothing is expected to be served at it (RFC 9457 §3.1.1: a type URI is an
 * identifier first; consumers do not dereference it).
 */
export const CONSENT_REQUIRED_TYPE = 'urn:authplane:problem:consent_required';

/**
 * The user must grant something before this request can succeed: connect an upstream account, or consent to more
 * scopes. Thrown by a grant (a broker's vend) or a plugin's JSON route, it is answered as HTTP 400
 * `application/problem+json` that is also an OAuth error body: `{ error: 'consent_required', error_description,
 * consent_url, cause, type, title, detail, status }`. `consentUrl` is where the person goes to grant it (absolute
 * http(s)): an MCP server shows it to the user rather than failing opaquely.
 */
export class ConsentRequired extends OAuthError {
  static readonly code = 'consent_required';
  readonly consentUrl: string;
  /** Why consent is needed (the body's `cause`; the Error's own `cause` stays the internal one, for the log). */
  readonly consentCause: ConsentCause;
  constructor(description: string, consent: { consentUrl: string; cause: ConsentCause }, options: ErrorOptions = {}) {
    super('consent_required', description, 400, options);
    // A link shown to a person: only absolute http(s), never a script or a path relative to some other page.
    let url: URL | undefined;
    try {
      url = new URL(consent?.consentUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new TypeError(`ConsentRequired: consentUrl must be an absolute http(s) URL, got ${JSON.stringify(consent?.consentUrl)}`);
    }
    if (consent.cause !== 'consent_missing' && consent.cause !== 'scope_insufficient') {
      throw new TypeError(`ConsentRequired: cause must be consent_missing or scope_insufficient, got ${JSON.stringify(consent.cause)}`);
    }
    this.name = 'ConsentRequired';
    this.consentUrl = consent.consentUrl;
    this.consentCause = consent.cause;
  }
}

/** RFC 9457 problem details, the shape of every admin API error. */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  constructor(
    status: number,
    title: string,
    detail: string,
    options: ErrorOptions & { type?: string; extra?: Record<string, unknown> } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.type = options.type ?? 'about:blank';
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) =>
  new ProblemError(400, 'Bad Request', detail, { extra });
export const notFound = (detail: string) => new ProblemError(404, 'Not Found', detail);
export const conflict = (detail: string) => new ProblemError(409, 'Conflict', detail);

/** An error shown to a person in a browser as an HTML page (never a redirect to an unverified URI). */
export class PageError extends Error {
  readonly status: number;
  readonly title: string;
  readonly headers: Record<string, string>;
  constructor(status: number, title: string, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'PageError';
    this.status = status;
    this.title = title;
    this.headers = options.headers ?? {};
  }
}

/**
 * The kernel's boot and configuration failures. Every code is listed in BOOT_ERROR_CODES with its meaning;
 * `docs/errors.md` is generated from that list and a test fails when the kernel throws a code not listed. Plugins
 * never throw these for failures of their own: they declare `AP_ERR_<PLUGIN>_<WHAT>` codes (kernel/plugin/errors.ts).
 */
export const BOOT_ERROR_CODES = {
  AP_ERR_CONFIG_INVALID: 'The merged configuration does not satisfy the schema; every problem is listed with its path.',
  AP_ERR_CONFIG_LOAD: 'The configuration file could not be found, loaded or did not export a config object.',
  AP_ERR_CONFIG_SECRET_IN_FILE: 'A secret was written in the config file; secrets are read from environment variables only.',
  AP_ERR_INSECURE_SECRET: 'A non-localhost issuer without https, or without a strong admin API key (AUTHPLANE_ADMIN_API_KEY missing, too short or an obvious value). Secrets of plugins are checked by their plugin, under its own code.',
  AP_ERR_PLUGIN_DEPENDENCY: 'A plugin depends on a plugin that is not enabled, or plugins depend on each other in a cycle.',
  AP_ERR_PLUGIN_DUPLICATE: 'The same plugin is enabled twice.',
  AP_ERR_PLUGIN_PHASE: 'A plugin failed or timed out in a lifecycle phase (register, init, start, stop).',
  AP_ERR_REGISTRY_DUPLICATE: 'Two plugins registered the same name in one registry (grant type, route, key store…).',
  AP_ERR_REGISTRY_FROZEN: 'A plugin tried to register a name, a route or CORS headers after the register phase ended.',
  AP_ERR_CORS_HEADER: 'A plugin asked CORS to allow or expose something that is not a header name (`api.corsHeaders`); the message names the plugin and the value.',
  AP_ERR_HOOKS_FROZEN: 'A plugin tried to tap a hook after the register phase ended (e.g. from init or start); the message names the plugin and the hook.',
  AP_ERR_GRANT_TTL_TOO_LONG: "A grant type's tokenTtl is longer than signing.retiredKeyRetention (a token would outlive its signing key in the JWKS), or is not a positive whole number; the message names the grant type and its plugin.",
  AP_ERR_SERVICE_MISSING: 'A plugin used a service that no plugin in its dependsOn provides.',
  AP_ERR_STORAGE_DRIVER: 'The configured storage driver is not registered by any enabled plugin.',
  AP_ERR_STORAGE_UNAVAILABLE: 'The database could not be reached or migrated.',
  AP_ERR_KEY_STORE: 'The configured key store is not registered, or its keys could not be loaded or written.',
  AP_ERR_LISTEN: 'A listener could not bind its address.',
  AP_ERR_CLI_USAGE: 'A CLI command was called with unknown or missing arguments.',
} as const;

export type BootErrorCode = keyof typeof BOOT_ERROR_CODES;

/** A kernel code, or a plugin's declared `AP_ERR_<PLUGIN>_<WHAT>` (thrown as a PluginError). */
export type ErrorCode = BootErrorCode | `AP_ERR_${string}`;

export class BootError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly string[];
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; problems?: readonly string[] } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BootError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
