/**
 * Flags shared by every benchmark: `--smoke` (a few hundred requests, one run: proves the benchmark still works,
 * measures nothing), `--duration <s>`, `--warmup <s>`, `--connections <n>`, `--runs <n>`, `--source` (run our
 * server from TypeScript through tsx instead of the compiled dist/), `--log-level <level>`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  smoke: boolean;
  /** Seconds of load per measured run. */
  duration: number;
  /** Seconds of load per server and scenario before measuring, discarded. */
  warmup: number;
  connections: number;
  runs: number;
  /** Run our server from source through tsx rather than compiled JavaScript. */
  source: boolean;
  /** Our server's log level; `info` logs every request, as deployed. */
  logLevel: string;
}

export function benchOptions(argv = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      smoke: { type: 'boolean' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      runs: { type: 'string' },
      source: { type: 'boolean' },
      'log-level': { type: 'string' },
    },
  });
  const smoke = values.smoke === true;
  const num = (value: unknown, fallback: number) => (typeof value === 'string' && value !== '' ? Number(value) : fallback);
  return {
    smoke,
    duration: num(values.duration, smoke ? 1 : 5),
    warmup: num(values.warmup, smoke ? 0 : 2),
    connections: num(values.connections, smoke ? 4 : 50),
    runs: num(values.runs, smoke ? 1 : 3),
    source: values.source === true,
    logLevel: typeof values['log-level'] === 'string' ? values['log-level'] : 'info',
  };
}

/** True when this module is the script node was started with (each benchmark also runs alone). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}
