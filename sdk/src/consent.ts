/**
 * `consent_required`: AuthPlane answers this when the user must grant something before a token can be issued —
 * connect an upstream account (the broker vending a GitHub token through token exchange), or consent to more
 * scopes. The token endpoint answers HTTP 400 `application/problem+json` carrying both the OAuth members (`error`,
 * `error_description`) and RFC 9457's (`type`, `title`, `detail`, `status`), plus `consent_url`, where the user
 * goes to grant it, and `cause`, why it is needed. MCP servers surface it to the user (URL elicitation or a tool
 * error with the link) instead of failing opaquely.
 */

export const CONSENT_REQUIRED = 'consent_required';
/** The problem `type` AuthPlane answers with: the same on every deployment. */
export const CONSENT_REQUIRED_TYPE = 'urn:authplane:problem:consent_required';

/**
 * Why consent is needed: `consent_missing` — none given yet (connect the upstream account, or authorize the
 * resource); `scope_insufficient` — what was given does not cover the scopes asked for.
 */
export type ConsentRequiredCause = 'consent_missing' | 'scope_insufficient';

/** The members of a `consent_required` answer (RFC 9457 members plus the OAuth ones and AuthPlane's). */
export interface ConsentRequiredProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  error?: string;
  error_description?: string;
  /** Where the user grants the missing consent (absolute URL). */
  consent_url: string;
  /** Why consent is needed; a server newer than this SDK may send a cause it does not list. */
  cause?: ConsentRequiredCause | (string & {});
  [member: string]: unknown;
}

export class ConsentRequiredError extends Error {
  override readonly name = 'ConsentRequiredError';
  readonly consentUrl: string;
  /** The answer's `cause` member (`consent_missing`, `scope_insufficient`), not an underlying exception. */
  override readonly cause: ConsentRequiredCause | (string & {}) | undefined;
  readonly status: number;
  readonly problem: Readonly<ConsentRequiredProblem>;

  constructor(problem: ConsentRequiredProblem) {
    const detail = problem.detail ?? problem.error_description ?? problem.title ?? 'consent is required';
    super(`${CONSENT_REQUIRED}: ${detail}`);
    this.consentUrl = problem.consent_url;
    this.cause = typeof problem.cause === 'string' ? problem.cause : undefined;
    // The token endpoint's status; a body decoded without one (e.g. from another API) reads as 400 too.
    this.status = typeof problem.status === 'number' ? problem.status : 400;
    this.problem = problem;
  }

  /** The error for a `consent_required` document, or undefined for any other body. */
  static fromProblem(body: unknown): ConsentRequiredError | undefined {
    return isConsentRequiredProblem(body) ? new ConsentRequiredError(body) : undefined;
  }

  /** Reads a response body; the error when it is a `consent_required` document, else undefined (body consumed). */
  static async fromResponse(response: Response): Promise<ConsentRequiredError | undefined> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return undefined;
    }
    return ConsentRequiredError.fromProblem(body);
  }
}

export function isConsentRequiredProblem(body: unknown): body is ConsentRequiredProblem {
  if (typeof body !== 'object' || body === null) return false;
  const doc = body as Record<string, unknown>;
  const typed =
    doc.error === CONSENT_REQUIRED ||
    (typeof doc.type === 'string' && (doc.type === CONSENT_REQUIRED || /[/:#]consent_required$/.test(doc.type)));
  if (!typed || typeof doc.consent_url !== 'string') return false;
  try {
    // A consent URL is shown to a person as a link: only absolute http(s) URLs, never javascript: or data:.
    const url = new URL(doc.consent_url);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
