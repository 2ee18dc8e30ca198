/**
 * The load generator process: runs autocannon once with the options given as JSON in argv[2] and prints the
 * figures as one JSON line. A separate process so it can be pinned to its own core (see cpu.ts). Plain JavaScript,
 * so no TypeScript loader shares its core.
 */
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);
const result = await autocannon(options);
process.stdout.write(
  `${JSON.stringify({
    // Completed requests over the run's wall time; the per-second average is coarser for short runs.
    rps: result.duration > 0 ? result.requests.total / result.duration : result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
