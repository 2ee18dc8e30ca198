/** RFC 9457 problem details as the admin API writes them, turned into an error the console can show field by field. */

export interface FieldError {
  field: string;
  message: string;
}

/** A refused admin API request: status, title, detail, and the fields it names (`redirect_uris.0`). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly fieldErrors: readonly FieldError[];

  constructor(status: number, title: string, detail: string, fieldErrors: readonly FieldError[] = []) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
  }

  /** The message for one field (or a field under it: `redirect_uris` covers `redirect_uris.0`), if any. */
  forField(field: string): string | undefined {
    const hits = this.fieldErrors.filter((e) => e.field === field || e.field.startsWith(`${field}.`));
    return hits.length ? hits.map((e) => (e.field === field ? e.message : `${e.field}: ${e.message}`)).join('; ') : undefined;
  }

  /** Field errors no field of the form shows, so the form can list them at its top instead of losing them. */
  unclaimed(fields: readonly string[]): FieldError[] {
    return this.fieldErrors.filter((e) => !fields.some((f) => e.field === f || e.field.startsWith(`${f}.`)));
  }
}

/** The server could not be reached or answered something that is not the admin API (a proxy's page). */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

function isFieldError(value: unknown): value is FieldError {
  return typeof value === 'object' && value !== null && typeof (value as FieldError).field === 'string' && typeof (value as FieldError).message === 'string';
}

/** The error of a non-2xx response: its problem document when it has one, else the status line. */
export async function problemOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const doc = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const title = typeof doc.title === 'string' ? doc.title : response.statusText || `HTTP ${response.status}`;
  const detail = typeof doc.detail === 'string' ? doc.detail : '';
  const errors = Array.isArray(doc.errors) ? doc.errors.filter(isFieldError) : [];
  return new ApiError(response.status, title, detail, errors);
}
