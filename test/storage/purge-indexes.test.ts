/**
 * Every built-in purge target's predicate matches an index (issue 25): a purge costs what it deletes, not the size of
 * the table. SQLite shows it in its query plan; on PostgreSQL the planner's choice depends on table statistics, so
 * there the test checks that the indexes exist.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AuthPlane, PurgeTarget } from 'authplane';
import { clientCredentials, clients, dcr, dpop, oauth, oidcFederation, rateLimit, resources, trustedIssuers, users } from 'authplane/plugins';
import { bootedOn } from '../helpers/booted-on.js';
import { requirePostgres } from '../helpers/postgres.js';

/** Each built-in target that declares its deletions, and the index each deletion's plan must search (in order). */
const EXPECTED: Record<string, string[]> = {
  token_denylist: ['token_denylist_expires_at_index'],
  token_issuances: ['token_issuances_expires_at_index'],
  machine_tokens: ['token_issuances_grant_type_expires_at_index'],
  authorization_codes: ['authorization_codes_expires_at_index'],
  refresh_tokens: ['refresh_tokens_expires_at_index', 'refresh_families_expires_at_index', 'refresh_families_expires_at_index'],
  sessions: ['sessions_expires_at_index', 'sessions_revoked_at_index'],
  login_failures: ['login_failures_window_start_index'],
  audit_events: ['audit_events_time_id_index'],
  dpop_nonces: ['sqlite_autoindex_dpop_proof_jtis_1'],
  assertion_jti: ['sqlite_autoindex_assertion_jtis_1'],
  rate_limit_windows: ['rate_limit_windows_window_start_index'],
  oidc_login_attempts: ['oidc_login_attempts_expires_at_index', 'oidc_login_attempts_consumed_at_index'],
};

/** Indexes added for purges by migrations named `*_purge_indexes` (and still there: 0012 of trusted-issuers dropped assertion_jtis' once its key led with the expiry). */
const ADDED = [
  'token_issuances_grant_type_expires_at_index',
  'sessions_revoked_at_index',
  'oidc_login_attempts_consumed_at_index',
];

function bootEveryTarget(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<AuthPlane> {
  const provider = { id: 'acme', displayName: 'Acme', issuer: 'https://idp.example.com', clientId: 'authplane', scopes: ['openid'] };
  return bootedOn(t, storage, [
    clients(),
    resources(),
    users(),
    oauth(),
    clientCredentials(),
    dpop(),
    dcr(),
    rateLimit(),
    trustedIssuers(),
    // Booted, never started: no upstream is asked for its discovery document.
    oidcFederation({ providers: [provider] }),
  ]);
}

test('on SQLite every deletion of every built-in purge target searches the index that matches its predicate', async (t) => {
  const server = await bootEveryTarget(t, 'sqlite');
  const db = server.db;
  const now = new Date();
  const registered = server.registries.purgeTargets.names().filter((name) => server.registries.purgeTargets.get(name)!.deletes);
  assert.deepEqual(registered.sort(), Object.keys(EXPECTED).sort(), 'every target that declares deletions is checked');
  for (const [name, indexes] of Object.entries(EXPECTED)) {
    const target: PurgeTarget = server.registries.purgeTargets.get(name)!;
    const deletions = target.deletes!({ db, now, signal: AbortSignal.timeout(10_000) });
    assert.equal(deletions.length, name === 'refresh_tokens' ? 3 : indexes.length, name);
    for (const [i, deletion] of deletions.entries()) {
      // The batch's inner select is what walks the table; the outer DELETE goes by the key.
      const { sql, bindings } = db(deletion.table).select(deletion.key).where((q) => deletion.where(q)).limit(500).toSQL().toNative();
      const plan = ((await db.raw(`explain query plan ${sql}`, bindings as readonly (string | number)[])) as { detail: string }[]).map((row) => row.detail);
      const text = plan.join(' | ');
      assert.ok(
        plan.some((line) => line.startsWith('SEARCH') && line.includes(indexes[i]!)),
        `${name} deletion ${i + 1} searches ${indexes[i]}: ${text}`,
      );
      assert.ok(!plan.some((line) => /^SCAN \w+( |$)/.test(line) && !line.includes('INDEX')), `${name} deletion ${i + 1} scans no table: ${text}`);
    }
  }
});

test('on PostgreSQL the indexes the purges added exist', async (t) => {
  if (!(await requirePostgres(t))) return;
  const server = await bootEveryTarget(t, 'postgres');
  const names = (await server.db('pg_indexes').whereIn('indexname', ADDED).pluck('indexname')) as string[];
  assert.deepEqual(names.sort(), [...ADDED].sort());
});
