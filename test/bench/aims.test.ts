import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAims, formatAims } from '../../bench/lib/aims.js';
import type { TableRow } from '../../bench/lib/report.js';

const row = (server: string, rps: number, latency: number): TableRow => ({ scenario: 'client_credentials · SQLite', server, ratios: { rps, latency } });

test('the log-level-info row of client_credentials is checked against its own aims: ≥ 2× req/s, p99 ≤ 0.5×', () => {
  const rows = [row('authplane', 2.3, 0.4), row('authplane · log info', 1.8, 0.45)];
  const aims = checkAims(rows, 'authplane', 'authplane · log info');
  const info = aims.filter((a) => a.aim.includes('at log level info'));
  assert.deepEqual(
    info.map((a) => [a.aim, a.measured, a.met]),
    [
      ['client_credentials · SQLite at log level info: req/s ≥ 2×', '1.80×', false],
      ['client_credentials · SQLite at log level info: p99 ≤ 0.5×', '0.45×', true],
    ],
  );
  assert.ok(formatAims(info)[0]!.startsWith('- ✗'));
  // A run without the info server (--no-info) reports no info aims at all.
  assert.equal(checkAims(rows, 'authplane').filter((a) => a.aim.includes('log level info')).length, 0);
});
