/**
 * Preloaded into the server by `bench/profile.ts --alloc` (NODE_OPTIONS=--require): the first SIGUSR2 starts V8's
 * sampling heap profiler, counting objects the garbage collector has already freed too — on a request path nearly
 * everything is garbage by the next scavenge, and that churn is what the GC pays for — and the second stops it and
 * writes the profile to AUTHPLANE_BENCH_ALLOC_FILE. Bytes allocated per request do not drift with the host's speed
 * the way req/s and CPU time do, so an allocation change can be judged from one run.
 * With AUTHPLANE_BENCH_ALLOC_OLD_ONLY=1 (`--promoted`) objects a scavenge freed are left out: what remains is what
 * outlived the young generation — promoted garbage a major collection (a pause of milliseconds) has to free.
 */
'use strict';
const { Session } = require('node:inspector');
const { renameSync, writeFileSync } = require('node:fs');

const out = process.env.AUTHPLANE_BENCH_ALLOC_FILE;
if (out) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.startSampling', {
        samplingInterval: Number(process.env.AUTHPLANE_BENCH_ALLOC_INTERVAL) || 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: process.env.AUTHPLANE_BENCH_ALLOC_OLD_ONLY !== '1',
      });
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      // Written whole under another name first: the benchmark waits for the file to appear.
      writeFileSync(`${out}.part`, JSON.stringify(err ? { error: String(err) } : result.profile));
      renameSync(`${out}.part`, out);
    });
  });
}
