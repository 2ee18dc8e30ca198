/**
 * docs/errors.md from kernel/errors.ts and the built-in plugins: every kernel AP_ERR_* code with its meaning
 * (BOOT_ERROR_CODES), each plugin's declared AP_ERR_<PLUGIN>_* codes under the plugin, and every OAuth error class
 * with its `error` code, HTTP status and headers, read from an instance so the table cannot drift.
 */
import * as errors from '../../kernel/errors.js';
import type { BuiltinPlugin } from './builtin-plugins.js';
import { code, document, GENERATED_BANNER, table } from './markdown.js';

/** What each OAuth `error` code means, with the specification that defines it. */
const OAUTH_MEANINGS: Record<string, string> = {
  invalid_request: 'A parameter is missing, repeated, malformed or not allowed here (RFC 6749 §5.2).',
  invalid_client: 'Client authentication failed: unknown client, wrong secret or unsupported method (RFC 6749 §5.2).',
  invalid_grant:
    'The code, refresh token or other grant is invalid, expired, revoked, already used or belongs to another client (RFC 6749 §5.2).',
  unauthorized_client: 'The client is not allowed to use this grant type (RFC 6749 §5.2).',
  unsupported_grant_type: 'No enabled plugin handles this `grant_type` (RFC 6749 §5.2).',
  unsupported_response_type: 'The authorization endpoint does not support this `response_type` (RFC 6749 §4.1.2.1).',
  invalid_scope: 'A requested scope is unknown, malformed or outside what the client may get (RFC 6749 §5.2).',
  invalid_target: 'The `resource` is unknown, malformed or not allowed for this client (RFC 8707 §2).',
  access_denied: 'The user or the server refused the request (RFC 6749 §4.1.2.1).',
  invalid_dpop_proof: 'The DPoP proof is missing, malformed, expired or does not match the request (RFC 9449 §5).',
  use_dpop_nonce: 'Retry with the nonce from the `DPoP-Nonce` header (RFC 9449 §8).',
  server_error: 'An unexpected failure; details are in the server log under the request id (RFC 6749 §4.1.2.1).',
  temporarily_unavailable: 'The server is overloaded or a dependency is down; retry later (RFC 6749 §4.1.2.1).',
  slow_down: 'Too many requests; wait for `Retry-After` before retrying (RFC 8628 §3.5).',
  consent_required:
    'The user must connect an upstream account or consent to more scopes first; answered as problem details with `consent_url` (see below).',
};

/** Constructor arguments of a probe instance, for the classes that need more than a description. */
const PROBE_ARGS: Record<string, unknown[]> = {
  ConsentRequired: [{ consentUrl: 'https://probe.invalid/consent', cause: 'consent_missing' }],
};

interface OAuthErrorClass {
  code: string;
  className: string;
  status: number;
  headers: string[];
}

/** Every exported OAuthError subclass that declares its code; a probe instance gives its status and headers. */
export function oauthErrorClasses(): OAuthErrorClass[] {
  const out: OAuthErrorClass[] = [];
  for (const [className, value] of Object.entries(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof errors.OAuthError)) continue;
    const code = (value as unknown as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const probe = new (value as unknown as new (description: string, ...more: unknown[]) => errors.OAuthError)('probe', ...(PROBE_ARGS[className] ?? []));
    out.push({ code, className, status: probe.status, headers: Object.keys(probe.headers) });
  }
  return out.sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

/** One section per plugin that declares codes, in plugin-name order. */
function pluginErrorSections(plugins: readonly BuiltinPlugin[]): string[] {
  return plugins
    .filter((p) => Object.keys(p.definition.errors?.codes ?? {}).length)
    .flatMap((p) => [
      `### \`${p.definition.name}\``,
      table(
        ['Code', 'Meaning'],
        Object.entries(p.definition.errors!.codes).map(([name, meaning]) => [code(name), meaning]),
      ),
    ]);
}

export function renderErrors(plugins: readonly BuiltinPlugin[]): string {
  const classes = oauthErrorClasses();
  const undocumented = classes.filter((c) => !OAUTH_MEANINGS[c.code]).map((c) => c.code);
  if (undocumented.length) {
    throw new Error(`add a meaning for OAuth error code(s) ${undocumented.join(', ')} to OAUTH_MEANINGS in ${import.meta.url}`);
  }
  const problems = [
    ['badRequest(detail)', errors.badRequest('probe')],
    ['notFound(detail)', errors.notFound('probe')],
    ['conflict(detail)', errors.conflict('probe')],
  ] as const;

  return document([
    GENERATED_BANNER('kernel/errors.ts and the built-in plugins\' `errors` declarations'),
    '# Errors',
    'Handlers throw; one middleware per listener turns the error into the response, so statuses are never set by hand. Anything that is not one of the errors below is answered as a 500 (`server_error` on OAuth endpoints) with the stack trace in the log only.',
    '## Boot and configuration errors (`AP_ERR_*`)',
    'Thrown as `BootError` while the server starts or a CLI command runs. The CLI prints `error: <message>` once and exits 1; configuration errors list every problem with its path.',
    table(
      ['Code', 'Meaning'],
      Object.entries(errors.BOOT_ERROR_CODES).map(([name, meaning]) => [code(name), meaning]),
    ),
    '## Plugin errors (`AP_ERR_<PLUGIN>_<WHAT>`)',
    'A plugin that fails for a reason of its own (one of its settings, a file it keeps, its CLI command\'s options) throws a code it declared with `defineErrors(\'<plugin>\', { WHAT: \'meaning\' })` and passed to `definePlugin({ errors })`: the plugin name in upper snake case after `AP_ERR_`, so the code says which plugin to look at. They are `BootError`s (class `PluginError`, with the plugin\'s name in `plugin`) and are reported like the kernel\'s: boot stops, the CLI prints `error: <message>` and exits 1. Any other failure inside a plugin is reported under the kernel code of the mechanism that ran it: `AP_ERR_PLUGIN_PHASE` for a lifecycle phase, `AP_ERR_STORAGE_UNAVAILABLE` for migrations, `AP_ERR_KEY_STORE` for loading or saving keys.',
    ...pluginErrorSections(plugins),
    '## OAuth errors',
    'On `/oauth/*` and `/.well-known/*` endpoints: a JSON body `{"error": "<code>", "error_description": "…"}` with `Cache-Control: no-store` (RFC 6749 §5.2). `error_description` is safe to show to the client; internal causes go to the log only.',
    table(
      ['`error`', 'HTTP status', 'Class', 'Headers', 'Meaning'],
      classes.map((c) => [
        code(c.code),
        String(c.status),
        code(c.className),
        c.headers.length ? c.headers.map(code).join(', ') : '—',
        OAUTH_MEANINGS[c.code]!,
      ]),
    ),
    '### `consent_required`',
    `\`ConsentRequired(description, { consentUrl, cause })\`, thrown by a grant (a broker vending an upstream token through token exchange) or a plugin's JSON route, is answered as HTTP 400 \`application/problem+json\` with \`Cache-Control: no-store\`: one document carrying the OAuth members and the RFC 9457 ones, so OAuth clients read \`error\` and problem-details clients read \`type\`. \`cause\` is \`consent_missing\` (no consent yet: connect the upstream account, or authorize) or \`scope_insufficient\` (the consent given does not cover the scopes asked for); \`consent_url\` is where the person grants it, always an absolute http(s) URL. \`type\` is the stable \`${errors.CONSENT_REQUIRED_TYPE}\`, the same on every deployment and not meant to be fetched. The SDK decodes it as \`ConsentRequiredError\`.`,
    '```json\n' +
      JSON.stringify(
      {
        error: 'consent_required',
        error_description: 'Connect your GitHub account to use this tool',
        consent_url: 'https://auth.example.com/connect/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp',
        cause: 'consent_missing',
        type: errors.CONSENT_REQUIRED_TYPE,
        title: 'Consent required',
        detail: 'Connect your GitHub account to use this tool',
        status: 400,
      },
      null,
      2,
    ) +
      '\n```',
    '## Admin API errors (RFC 9457)',
    'Admin routes answer `application/problem+json` with `type`, `title`, `status`, `detail` (and extra members). A missing or wrong admin API key is 401 with `WWW-Authenticate: Bearer realm="admin"`; an unknown route is 404.',
    table(
      ['Thrown as', 'HTTP status', 'Title'],
      [
        ...problems.map(([name, problem]) => [code(name), String(problem.status), problem.title]),
        [code('new ProblemError(status, title, detail)'), 'any', 'any'],
      ],
    ),
    '## Browser pages',
    '`PageError(status, title, message)` renders an HTML error page on browser routes (login, consent). It never redirects to a redirect URI that has not been verified.',
    '## Refusals outside the routes',
    'Two kinds of failure never reach a route\'s error handling, and still answer in the shapes above (OAuth JSON under `/oauth/` and `/.well-known/` on the public listener, problem details elsewhere, the error page where a browser was sent). A response that fails while it is written (a body that cannot be serialized, a header value node refuses) is a 500 `server_error`, logged with its request id; if part of it had already gone out, its connection is closed instead. No such failure stops the server. Requests node refuses before routing are answered by the listener with `Connection: close`: headers over 16 KB are 431 Request Header Fields Too Large, chunk extensions over node\'s limit 413, a request not received in time 408, anything that is not HTTP 400.',
  ]);
}
