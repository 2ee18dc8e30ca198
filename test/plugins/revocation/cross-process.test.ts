import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { decodeJwt, introspect, machineServer, machineToken, RESOURCE_URI } from '../client-credentials/setup.js';

test('a token revoked by the CLI in another process is inactive at once on the running SQLite server', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token;
  const jti = decodeJwt(token).claims.jti as string;
  // Introspected once first, so the server has its JWT verified and its denylist reader open.
  assert.equal((await introspect(fx.url, machine, token)).active, true);

  // In the repository, where the config's `authplane/plugins` import resolves; the database is the server's.
  const config = writeConfigFile(repoTempDir(t, 'cross-process-'), {
    settings: { storage: { sqlite: { path: join(fx.dir, 'authserver.db') } }, signing: { keyPath: join(fx.dir, 'keys') } },
    imports: ["import { clientCredentials, clients, issuances, oauth, resources, users } from 'authplane/plugins';"],
    plugins: ['clients()', 'resources()', 'users()', 'oauth()', 'clientCredentials()', 'issuances()'],
  });
  const revoked = await runCli(['admin', 'issuance', 'revoke', jti, '--config', config], {
    cwd: fx.dir,
    env: { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6', AUTHPLANE_SESSION_SECRET: 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ' },
  });
  assert.equal(revoked.code, 0, errorLines(revoked.stderr).join('\n'));
  assert.deepEqual(await introspect(fx.url, machine, token), { active: false });
});
