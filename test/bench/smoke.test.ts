/**
 * `npm run bench` in smoke mode: a few hundred requests per scenario, so the benchmark (servers, fixtures, code
 * minting, the load generator, the table) cannot rot unnoticed. It measures nothing and asserts no figure.
 * PostgreSQL is skipped when unreachable, except under CI=true (the bench itself refuses to skip it there).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// About a minute on an idle machine; the limit is for a hang, not for a loaded machine.
test('the benchmark runs every scenario in smoke mode and prints one table with ratios to oidc-provider', { timeout: 900_000 }, async () => {
  // From source (no build), one server per storage (no second log level), nothing written to bench/results.
  const { code, stdout, stderr } = await runBench(['--smoke', '--source', '--no-info', '--no-write', '--amount', '200']);
  assert.equal(code, 0, `bench exited with ${code}\n${stderr.slice(-4000)}`);
  const lines = stdout.split('\n');
  const header = lines.find((l) => l.startsWith('Scenario '));
  assert.ok(header, `no table header in:\n${stdout}`);
  assert.match(header, /req\/s ×/);
  for (const scenario of ['client_credentials · SQLite', 'introspection', 'JWKS', 'discovery', 'authorization_code redemption', 'token exchange', 'client_credentials · private_key_jwt', 'ID-JAG (jwt-bearer)', 'cold start']) {
    const ours = lines.find((l) => l.startsWith(scenario) && /\bauthplane\b/.test(l));
    assert.ok(ours, `no authplane row for ${scenario}:\n${stdout}`);
    assert.doesNotMatch(ours, /failed/, `${scenario} had failed requests:\n${ours}`);
    assert.match(ours, /\d+\.\d\d×/, `no ratio on the ${scenario} row:\n${ours}`);
    assert.ok(lines.some((l) => l.startsWith(scenario) && l.includes('oidc-provider')), `no oidc-provider row for ${scenario}`);
  }
  const postgresRan = lines.some((l) => l.startsWith('client_credentials · PostgreSQL'));
  if (process.env.CI === 'true') assert.ok(postgresRan, 'under CI=true the PostgreSQL scenario must run');
  else if (!postgresRan) assert.match(stderr, /PostgreSQL is not reachable/);
});
