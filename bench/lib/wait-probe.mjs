/**
 * A latency probe for bench/scale.ts: `connections` loops each sending the request of argv[2] (JSON: url, method,
 * headers, body, connections) back to back until SIGTERM, then one JSON line with the count, percentiles and the
 * longest single wait. Unlike an autocannon run it has no fixed length: it runs for exactly as long as the work it
 * watches (a purge) takes. Plain JavaScript in its own process, pinned to the load core by the caller.
 */
import { Agent, request } from 'node:http';

const { url, method = 'GET', headers = {}, body, connections = 4 } = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const latencies = [];
let failures = 0;
let stopping = false;
const started = performance.now();

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        if (res.statusCode < 200 || res.statusCode >= 300) failures++;
        resolve();
      });
    });
    req.on('error', () => {
      failures++;
      latencies.push(performance.now() - t0);
      resolve();
    });
    req.end(body);
  });
}

async function loop() {
  while (!stopping) await once();
}

const loops = Array.from({ length: connections }, loop);
process.on('SIGTERM', async () => {
  stopping = true;
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN);
  process.stdout.write(`${JSON.stringify({ total: sorted.length, rps: sorted.length / seconds, seconds, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN, failures })}\n`);
  agent.destroy();
  process.exit(0);
});
process.stdout.write('ready\n');
