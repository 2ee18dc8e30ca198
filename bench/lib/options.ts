/**
 * Flags shared by every benchmark: `--smoke` (a few hundred requests, one run: proves the benchmark still works,
 * measures nothing), `--duration <s>`, `--warmup <s>`, `--connections <n>`, `--runs <n>`, `--source` (run our
 * server from TypeScript through tsx instead of the compiled dist/), `--log-level <level>`, and for `npm run bench`
 * (bench/run.ts): `--only <scenario,…>`, `--no-postgres`, `--no-info`, `--codes <n>`, `--assertions <n>`, `--write`/`--no-write`,
 * `--readme`.
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
  /** Requests per run in smoke mode. */
  amount: number;
  /** Run our server from source through tsx rather than compiled JavaScript. */
  source: boolean;
  /**
   * Our server's log level when given; each benchmark has its default (`npm run bench`: `warn`, plus a second server
   * at `info` as operators run it, unless `--no-info`; the others: `info`).
   */
  logLevel?: string;
  /** Scenario keys to run (bench/run.ts); empty = all. */
  only: string[];
  postgres: boolean;
  /** Also measure our server at log level info. */
  info: boolean;
  /** Authorization codes redeemed per run of the code scenario (each run redeems exactly these). */
  codes: number;
  /**
   * Requests per run, and per warm-up, of the JWT-assertion scenarios (each carries a fresh single-use assertion,
   * so the count is fixed rather than the time): about what the timed scenarios' warm-ups and runs serve, so both
   * servers are measured warmed up, as in those (docs/performance.md, "Assertion runs as long as the others").
   */
  assertions: number;
  /** Write bench/results/<date>.{json,md}. */
  write: boolean;
  /** Replace the table in README.md's Benchmarks section. */
  readme: boolean;
}

export function benchOptions(argv = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    allowNegative: true,
    options: {
      smoke: { type: 'boolean' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      runs: { type: 'string' },
      amount: { type: 'string' },
      source: { type: 'boolean' },
      'log-level': { type: 'string' },
      only: { type: 'string' },
      postgres: { type: 'boolean' },
      info: { type: 'boolean' },
      codes: { type: 'string' },
      assertions: { type: 'string' },
      write: { type: 'boolean' },
      readme: { type: 'boolean' },
    },
  });
  const smoke = values.smoke === true;
  const num = (value: unknown, fallback: number) => (typeof value === 'string' && value !== '' ? Number(value) : fallback);
  const amount = num(values.amount, 200);
  return {
    smoke,
    duration: num(values.duration, smoke ? 1 : 5),
    warmup: num(values.warmup, smoke ? 0 : 2),
    connections: num(values.connections, smoke ? 4 : 50),
    runs: num(values.runs, smoke ? 1 : 3),
    amount,
    source: values.source === true,
    logLevel: typeof values['log-level'] === 'string' ? values['log-level'] : undefined,
    only: typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [],
    postgres: values.postgres !== false,
    info: values.info !== false,
    codes: num(values.codes, smoke ? amount : 5000),
    assertions: num(values.assertions, smoke ? amount : 15000),
    write: typeof values.write === 'boolean' ? values.write : !smoke,
    readme: values.readme === true,
  };
}

/** True when this module is the script node was started with (each benchmark also runs alone). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** `K=V,K2=V2` (a flag's value) as an environment; a value may itself hold `=`. */
export function envList(list: string): Record<string, string> {
  return Object.fromEntries(list.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
