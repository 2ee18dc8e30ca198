/**
 * Every column that stores a value a client (or anyone at the edge) chose is as wide as the largest value the edge
 * accepts. SQLite never enforces a declared varchar length; PostgreSQL does, and a value one character too long
 * there is an error: a lost audit batch, a 500. The schema test lists every varchar column of the default build and
 * says where its values come from, so a new column has to be sized on purpose.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { runCli, tempDir } from '../helpers/server.js';

/** client_id: a CIMD client's https URL, capped at 512 characters where it is parsed. */
const CLIENT_ID = 512;

/**
 * Columns holding values from outside, with the longest value the edge lets through (and where that limit is).
 */
const FROM_THE_EDGE: Record<string, number> = {
  'audit_events.actor_id': CLIENT_ID, // a client revoking a token is the actor
  'audit_events.client_id': CLIENT_ID,
  'audit_events.user_id': CLIENT_ID,
  'audit_events.ip': 45, // isIP()-checked, IPv6 text form at most 45
  'audit_events.request_id': 128, // X-Request-ID, kernel/http/request-record.ts VALID_REQUEST_ID
  'audit_events.trace_id': 32, // W3C trace id, 32 hex
  'authorization_codes.client_id': CLIENT_ID,
  'authorization_codes.code_challenge': 128, // authorize-request.ts CODE_CHALLENGE {43,128}
  'clients.client_id': CLIENT_ID,
  'clients.client_name': 255, // clients/schema.ts, dcr/schema.ts maxLength
  'clients.token_endpoint_auth_method': 19, // enum, longest client_secret_basic
  'clients.application_type': 6, // enum web | native
  'consents.client_id': CLIENT_ID,
  'refresh_families.client_id': CLIENT_ID,
  'refresh_tokens.client_id': CLIENT_ID,
  'token_issuances.client_id': CLIENT_ID,
  'token_issuances.subject': CLIENT_ID, // a user id, or the client id for client_credentials
  'token_issuances.resource': 2048, // the sole audience (a resources.uri), NULL when longer: kernel/token/issuer.ts
  'users.email': 320, // users/schema.ts maxLength (ASCII by format: lower-casing keeps the length)
  'users.name': 200,
  'user_identities.subject': 255, // an upstream ID token's sub: oidc-federation/provider.ts refuses a longer one
  'resources.display_name': 200,
  'resources.uri': 2048,
  'resources.broker_provider_id': 255,
  'resources.slug': 63,
};

/** Columns whose values the server makes (ids, digests, thumbprints, enums of its own): fixed short forms. */
const SERVER_MADE = new Set([
  'audit_events.id', 'audit_events.action',
  'authorization_codes.code_hash', 'authorization_codes.user_id', 'authorization_codes.resource_id',
  'authorization_codes.family_id', 'authorization_codes.access_jti',
  'clients.secret_digest', 'clients.status', 'clients.registration_source',
  'consents.id', 'consents.user_id', 'consents.resource_id',
  'dcr_settings.key', 'dcr_settings.updated_by',
  'dpop_proof_jtis.id',
  // Resource ids resolved by the server from what the operator named, and the actor (admin-api, cli).
  'fronting_links.id', 'fronting_links.source_resource_id', 'fronting_links.target_resource_id', 'fronting_links.created_by',
  'login_failures.key',
  // `<class>:<address>`: the class is one of three words, the address the kernel's clientKey (an IP, or an IPv6 /64).
  'rate_limit_windows.key',
  'refresh_families.id', 'refresh_families.user_id', 'refresh_families.resource_id', 'refresh_families.revoked_reason',
  'refresh_tokens.id', 'refresh_tokens.token_hash', 'refresh_tokens.family_id', 'refresh_tokens.user_id',
  'refresh_tokens.resource_id', 'refresh_tokens.access_jti', 'refresh_tokens.dpop_jkt',
  'refresh_tokens.consumed_scope_key', // an HMAC of the refresh request, always 64 characters
  'resources.id', 'resources.backend_kind',
  // The normalized resources.uri (admin input, not a client's); percent-encoding can make it longer than the uri,
  // so a URI whose key would not fit is refused where it is written (plugins/resources/operations.ts).
  'resources.uri_key',
  'sessions.id', 'sessions.user_id',
  'token_denylist.jti', 'token_denylist.reason',
  'token_issuances.jti', 'token_issuances.grant_type', 'token_issuances.parent_jti', 'token_issuances.cnf_jkt',
  'token_issuances.grant_ref', // a grant plugin's own reference (`family:<uuid>`), checked ≤ 128 by the issuer
  'users.id', 'users.role', 'users.status', 'users.provider', 'users.password_hash',
  // The provider is a configured id (oidc-federation's schema caps it); the user id is ours.
  'user_identities.provider', 'user_identities.user_id',
]);

test('every column that stores a value from the edge holds the largest value the edge accepts (PostgreSQL)', async (t: TestContext) => {
  if (!(await requirePostgres(t))) return;
  const dsn = await freshPostgresDatabase(t);
  const dir = tempDir(t);
  const migrated = await runCli(['migrate'], { cwd: dir, env: { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: dsn } });
  assert.equal(migrated.code, 0, migrated.stderr);
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  const { rows } = await client
    .query<{ name: string; type: string; length: number | null }>(
      `select table_name || '.' || column_name as name, data_type as type, character_maximum_length as length
         from information_schema.columns
        where table_schema = 'public' and data_type in ('character varying', 'text') and table_name not like 'knex_%'`,
    )
    .finally(() => client.end());
  const width = new Map(rows.map((r) => [r.name, r.type === 'text' ? Infinity : r.length!]));
  for (const [column, limit] of Object.entries(FROM_THE_EDGE)) {
    assert.ok(width.has(column), `${column} exists`);
    assert.ok(width.get(column)! >= limit, `${column} holds ${limit} characters (it holds ${width.get(column)})`);
  }
  const unclassified = rows
    .filter((r) => r.type === 'character varying' && !(r.name in FROM_THE_EDGE) && !SERVER_MADE.has(r.name))
    .map((r) => r.name);
  assert.deepEqual(unclassified, [], 'every varchar column is listed as sized for the edge or as server-made');
});
