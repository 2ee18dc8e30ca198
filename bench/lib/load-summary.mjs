/** The JSON line a load-generator process prints for its parent: figures of one autocannon run. */
export function loadSummary(result, seconds = result.duration) {
  return {
    // Completed requests over the run's wall time (start to last response, timed by the caller); the per-second
    // average is coarser for short runs.
    rps: seconds > 0 ? result.requests.total / seconds : result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)])),
  };
}
