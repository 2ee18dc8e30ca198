import { pino, type Logger, type DestinationStream } from 'pino';
import type { KernelConfig } from '../config/types.js';
import { scopeMixin } from './request-scope.js';

/**
 * JSON logs. Secrets are redacted by path (schema `x-secret` paths plus credentials that appear in requests) so a
 * config dump or a logged request can never print them. A line that names a request being handled gets its trace ids.
 */
export function createLogger(
  config: Pick<KernelConfig, 'log'>,
  secretPaths: readonly string[],
  destination?: DestinationStream,
): Logger {
  const redact = [
    ...secretPaths,
    ...secretPaths.map((p) => `config.${p}`),
    'req.headers.authorization',
    'req.headers.cookie',
    'headers.authorization',
    'headers.cookie',
    'client_secret',
    'password',
  ];
  return pino(
    {
      level: config.log.level,
      base: { service: 'authplane' },
      timestamp: isoTimeByMillisecond,
      redact: { paths: redact, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // A line naming a request being handled gets its trace_id and span_id (observe/request-scope.ts).
      mixin: scopeMixin.mixin,
      mixinMergeStrategy: scopeMixin.mixinMergeStrategy,
    },
    destination ?? bufferedStdout(),
  );
}

/** Lines are written to stdout once this much is buffered, or after FLUSH_INTERVAL_MS, whichever comes first. */
const BUFFER_BYTES = 4096;
const FLUSH_INTERVAL_MS = 100;

/**
 * stdout without a write per line: at info every request logs a line, and one write(2) per line cost as much as
 * building it. A line waits at most FLUSH_INTERVAL_MS; pino flushes what is left when the process exits.
 */
function bufferedStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES });
  let pending = false;
  setInterval(() => {
    if (!pending) return;
    pending = false;
    try {
      stream.flush();
    } catch {
      // Not open yet or already closed: nothing to flush into.
    }
  }, FLUSH_INTERVAL_MS).unref();
  return {
    write(line: string) {
      pending = true;
      stream.write(line);
    },
    flush: (cb?: (err?: Error) => void) => stream.flush(cb),
  } as DestinationStream;
}

let lastMs = 0;
let lastTime = '';
/** pino's isoTime, formatted once per millisecond: under load many lines share one. */
function isoTimeByMillisecond(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}
