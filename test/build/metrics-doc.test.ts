import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tracingOtel } from 'authplane/plugins';
import { REPO_ROOT } from '../helpers/server.js';
import { machineServer, requestMachineToken } from '../plugins/client-credentials/setup.js';

test('every metric a running server exports at /metrics is in docs/metrics.md, with its type and labels', async (t) => {
  const fx = await machineServer(t, { extra: [tracingOtel()] });
  const client = await fx.createMachineClient();
  assert.equal((await requestMachineToken(fx.url, client)).status, 200);
  assert.equal((await requestMachineToken(fx.url, { client_id: client.client_id, client_secret: 'wrong' })).status, 401);
  const scrape = await (await fx.admin('/metrics')).text();
  const doc = readFileSync(join(REPO_ROOT, 'docs/metrics.md'), 'utf8');

  const types = [...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name: name!, type: type! }));
  assert.ok(types.length > 20, 'the scrape lists metrics');
  for (const { name, type } of types) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row, `${name} is documented`);
    assert.equal(row.split(' | ')[1], type, `${name}'s type`);
    // Every label of every series of it (the histogram's bucket bound aside) is in its row.
    for (const [, labels] of scrape.matchAll(new RegExp(`^${name}(?:_bucket|_sum|_count)?\\{([^}]*)\\}`, 'gm'))) {
      for (const [, label] of labels!.matchAll(/(\w+)="/g)) {
        if (label !== 'le') assert.ok(row.includes(`\`${label}\``), `${name}'s label ${label} is documented`);
      }
    }
  }
});
