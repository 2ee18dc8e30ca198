/**
 * draft-ietf-oauth-client-id-metadata-document: which client_ids are metadata document URLs, and what a fetched
 * document must say. Rules between fields and redirect URI shapes are the clients plugin's, applied on upsert.
 */
import type { ClientMetadataInput, FieldProblem } from '../clients/types.js';

/** Informational RFC 7591 §2 members kept with the client. */
const INFORMATIONAL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'software_id', 'software_version'] as const;

/** Grants a metadata-document client may use: it is a public client, so only the user-facing flow and refresh. */
export const CIMD_GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;

/**
 * The longest client_id URL accepted, in characters: every column that stores a client_id (clients, consents,
 * codes, refresh tokens, token issuances, audit events) is varchar(512). A longer one is refused before any fetch
 * rather than failing on insert.
 */
export const MAX_CLIENT_ID_LENGTH = 512;

/** Whether this client_id is ours to resolve: an https URL (http too when testing on loopback). */
export function isMetadataDocumentId(clientId: string, allowHttp: boolean): boolean {
  return clientId.startsWith('https://') || (allowHttp && clientId.startsWith('http://'));
}

/**
 * Why a URL client_id is not an acceptable metadata document URL (§3: https, a path, no dot segments, no fragment,
 * no user information), or undefined.
 */
export function documentUrlProblem(clientId: string, allowHttp: boolean): string | undefined {
  if (clientId.length > MAX_CLIENT_ID_LENGTH) return `is longer than ${MAX_CLIENT_ID_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return 'must use https';
  if (clientId.includes('#')) return 'must not contain a fragment';
  // An empty `@` (https://@host/x) is dropped by URL parsing but is still user information in the id as sent.
  if (url.username || url.password || /^https?:[/\\]*[^/?#\\]*@/i.test(clientId)) return 'must not contain user information';
  if (url.pathname === '/' || url.pathname === '') return 'must have a path';
  // URL parsing resolves dot segments, so they are looked for in the string as sent.
  const rawPath = clientId.slice(clientId.indexOf('/', clientId.indexOf('//') + 2)).split(/[?#]/)[0]!;
  const dotSegment = (segment: string) => ['.', '..'].includes(segment.replace(/%2e/gi, '.'));
  if (rawPath.split('/').some(dotSegment)) {
    return 'must not contain dot segments';
  }
  return undefined;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The document as client metadata, or every problem with it. */
export function documentToMetadata(
  clientId: string,
  document: unknown,
  refreshEnabled: boolean,
): { ok: true; input: ClientMetadataInput } | { ok: false; problems: FieldProblem[] } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, problems: [{ field: '(document)', message: 'must be a JSON object' }] };
  }
  const doc = document as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  // §4.1: the document's client_id must be the URL it was fetched from, compared as strings.
  if (doc.client_id !== clientId) problems.push({ field: 'client_id', message: 'must equal the URL the document was fetched from' });
  if (typeof doc.client_name !== 'string' || doc.client_name.trim() === '') {
    problems.push({ field: 'client_name', message: 'is required' });
  }
  if (!isStringArray(doc.redirect_uris) || doc.redirect_uris.length === 0) {
    problems.push({ field: 'redirect_uris', message: 'is required: a non-empty array of URIs' });
  }
  const method = doc.token_endpoint_auth_method ?? 'none';
  // §4.1: a document is public, so it cannot carry a shared secret; private_key_jwt needs a plugin we lack.
  if (method !== 'none') problems.push({ field: 'token_endpoint_auth_method', message: 'must be none' });
  for (const field of ['grant_types', 'response_types'] as const) {
    if (doc[field] !== undefined && !isStringArray(doc[field])) problems.push({ field, message: 'must be an array of strings' });
  }
  if (doc.application_type !== undefined && doc.application_type !== 'web' && doc.application_type !== 'native') {
    problems.push({ field: 'application_type', message: 'must be web or native' });
  }
  // docs/agents.md: a document may describe its client as an agent, as a DCR registration may (it grants nothing).
  if (doc.agent !== undefined && typeof doc.agent !== 'boolean') problems.push({ field: 'agent', message: 'must be a boolean' });
  if (doc.agent_description !== undefined && doc.agent_description !== null && typeof doc.agent_description !== 'string') {
    problems.push({ field: 'agent_description', message: 'must be a string' });
  }
  if (problems.length) return { ok: false, problems };
  const metadata: Record<string, unknown> = {};
  for (const field of INFORMATIONAL_FIELDS) if (doc[field] !== undefined) metadata[field] = doc[field];
  return {
    ok: true,
    input: {
      client_name: doc.client_name as string,
      redirect_uris: doc.redirect_uris as string[],
      grant_types: (doc.grant_types as string[] | undefined) ?? ['authorization_code', ...(refreshEnabled ? ['refresh_token'] : [])],
      ...(doc.response_types ? { response_types: doc.response_types as string[] } : {}),
      token_endpoint_auth_method: 'none',
      ...(doc.application_type ? { application_type: doc.application_type as 'web' | 'native' } : {}),
      ...(doc.agent !== undefined ? { agent: doc.agent as boolean } : {}),
      ...(doc.agent_description !== undefined ? { agent_description: doc.agent_description as string | null } : {}),
      // As with DCR, a self-described client sets no scope ceiling of its own.
      scope: '',
      metadata,
    },
  };
}
