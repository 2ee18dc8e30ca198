/**
 * The load generator process: runs autocannon once with the options given as JSON in argv[2] and prints the
 * figures as one JSON line. A separate process so it can be pinned to its own core (see cpu.ts). Plain JavaScript,
 * so no TypeScript loader shares its core.
 *
 * `bodiesFile` (optional): a file of request bodies, one a line, each sent once in order — for requests that
 * consume what they send (an authorization code can be redeemed once). Past the last line the last body repeats,
 * and the server's refusals show up as non-2xx.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { loadSummary } from './load-summary.mjs';

const { bodiesFile, ...options } = JSON.parse(process.argv[2]);
if (bodiesFile) {
  const bodies = readFileSync(bodiesFile, 'utf8').split('\n').filter(Boolean);
  let next = 0;
  options.requests = [
    {
      method: options.method,
      setupRequest: (request) => ({ ...request, body: bodies[Math.min(next++, bodies.length - 1)] }),
    },
  ];
}
// autocannon notices the end of an `amount` run only at its next one-second tick, so its `duration` rounds a short
// run up (5000 requests in 0.8 s or 1.9 s both read as ~2 s): the run is timed here, to its last response.
const started = performance.now();
let lastResponse = started;
const instance = autocannon(options);
instance.on('response', () => {
  lastResponse = performance.now();
});
const result = await instance;
process.stdout.write(`${JSON.stringify(loadSummary(result, (lastResponse - started) / 1000))}\n`);
