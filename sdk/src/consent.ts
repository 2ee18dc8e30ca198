/**
 * `consent_required`: the broker answers this when a user must (re)connect an upstream account before a token can
 * be issued — as an RFC 9457 problem document (`type` ending in `consent_required`) on its APIs, or as an OAuth
 * error body (`error: "consent_required"`) on the token endpoint. Either way it carries `consent_url`, where the
 * user goes to grant it, and `cause`, why it is needed. MCP servers surface it to the user (URL elicitation or
 * a tool error with the link) instead of failing opaquely.
 */

export const CONSENT_REQUIRED = 'consent_required';

/** The fields of a `consent_required` problem document (RFC 9457 members plus AuthPlane's extensions). */
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
  /** Why consent is needed, e.g. `upstream_not_connected`, `upstream_token_revoked`, `scope_added`. */
  cause?: string;
  [member: string]: unknown;
}

export class ConsentRequiredError extends Error {
  override readonly name = 'ConsentRequiredError';
  readonly consentUrl: string;
  /** The problem's `cause` member (a short reason code), not an underlying exception. */
  override readonly cause: string | undefined;
  readonly status: number;
  readonly problem: Readonly<ConsentRequiredProblem>;

  constructor(problem: ConsentRequiredProblem) {
    const detail = problem.detail ?? problem.error_description ?? problem.title ?? 'consent is required';
    super(`${CONSENT_REQUIRED}: ${detail}`);
    this.consentUrl = problem.consent_url;
    this.cause = typeof problem.cause === 'string' ? problem.cause : undefined;
    this.status = typeof problem.status === 'number' ? problem.status : 403;
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
