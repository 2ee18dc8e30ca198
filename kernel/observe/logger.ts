import fs from 'node:fs';
import { pino, type Logger, type DestinationStream } from 'pino';
import type { KernelConfig } from '../config/types.js';
import { liveScope, scopeMixin } from './request-scope.js';

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

/** Lines are handed to stdout once a batch buffer is full, or FLUSH_INTERVAL_MS after the first line in it. */
const BATCH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 100;

type SonicStream = DestinationStream & { write(data: Buffer): boolean; flush(cb?: (err?: Error) => void): void; flushSync(): void };

/**
 * Lines encoded straight into a batch buffer in front of pino's sonic-boom, which sees one write per batch. At info
 * every request writes a line (its access line), and handed to sonic-boom one
 * by one each line cost more than pino spends building it: sonic-boom's string mode measures the UTF-8 length of
 * everything it holds on every `write` (`Buffer.byteLength` of its pending string, which flattens it — copying up
 * to 16 KiB for a 300-byte line), then encodes the whole string again to write it (docs/performance.md). Here a
 * line is encoded once, into memory that is written as it is.
 *
 * A line waits at most FLUSH_INTERVAL_MS. `flush()` (the server calls it after `listening` and on stop) and
 * `flushSync()` hand everything over; at process exit — a normal one, `process.exit()`, or an uncaught exception —
 * what is buffered is written synchronously (`exit` handler below), so no line is lost but to SIGKILL.
 */
export class LineBatch {
  #buffer = Buffer.allocUnsafe(BATCH_BYTES);
  #used = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: SonicStream) {}

  write(line: string): void {
    // A line counts at most 3 bytes a UTF-16 unit; one that might not fit goes after the batch before it.
    if (this.#used + line.length * 3 > BATCH_BYTES) {
      this.#handOver();
      if (line.length * 3 > BATCH_BYTES) {
        this.stream.write(Buffer.from(line));
        return;
      }
    }
    this.#used += this.#buffer.write(line, this.#used);
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.#handOver(), FLUSH_INTERVAL_MS).unref();
      pending.add(this);
    }
  }

  /** Hands the batch to the stream and calls back once the stream has written it (pino's `logger.flush(cb)`). */
  flush(cb?: (err?: Error) => void): void {
    this.#handOver();
    try {
      this.stream.flush(cb);
    } catch (err) {
      // Not open yet or already closed: nothing more can be written.
      cb?.(err as Error);
    }
  }

  /**
   * Everything written before this returns, synchronously: what the stream holds, then this batch (handed over, it
   * would start an asynchronous write, which process exit does not wait for). Only a stream write already in flight
   * may land after it. A destination that fails for good drops the lines instead of retrying for ever.
   */
  flushSync(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      pending.delete(this);
    }
    const batch = this.#buffer.subarray(0, this.#used);
    this.#buffer = Buffer.allocUnsafe(BATCH_BYTES);
    this.#used = 0;
    dropWritesThatFailForGood(() => {
      this.stream.flushSync();
      const fd = (this.stream as unknown as { fd: number }).fd;
      for (let written = 0; written < batch.length; ) written += writeSyncRetrying(fd, batch.subarray(written));
    });
  }

  #handOver(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      pending.delete(this);
    }
    if (this.#used === 0) return;
    // The stream keeps the batch until it is written: the next lines go into a new buffer.
    const batch = this.#buffer.subarray(0, this.#used);
    this.#buffer = Buffer.allocUnsafe(BATCH_BYTES);
    this.#used = 0;
    this.stream.write(batch);
  }
}

/** Batches holding lines (only those: an idle logger is not kept alive by this set). */
const pending = new Set<LineBatch>();
process.on('exit', () => {
  for (const batch of pending) {
    try {
      batch.flushSync();
    } catch {
      // A closed or never-opened descriptor: there is nowhere left to write.
    }
  }
});

/** Batches for `dest` (a file descriptor or path), written asynchronously: a slow reader never blocks the loop. */
export function batchedDestination(dest: number | string): LineBatch {
  // minLength 1, not 0: sonic-boom's flush(cb) with 0 calls back without waiting for a write in flight.
  const stream = pino.destination({ dest, sync: false, minLength: 1, maxWrite: 4 * BATCH_BYTES, contentMode: 'buffer' } as never) as unknown as SonicStream & NodeJS.EventEmitter;
  // A destination that fails for good (EIO from a terminal that hung up; pino handles only EPIPE) stops taking lines.
  // Unhandled, the error would end the process, and sonic-boom's exit flush retries a failing write forever — a
  // server stuck in exit, holding its ports, deaf to SIGTERM. The server goes on serving, without a log.
  stream.on('error', () => {
    stream.write = () => true;
    stream.flush = (cb?: (err?: Error) => void) => cb?.();
    stream.flushSync = () => {};
    (stream as unknown as { end: () => void }).end = () => {};
  });
  return new LineBatch(stream);
}

/**
 * Runs `flush` with every synchronous file write that fails for good (EPIPE, EIO: a reader or terminal gone) counted
 * as written, and the writes after it skipped. sonic-boom's `flushSync` retries any failing write, not only EAGAIN,
 * so at exit such a destination would keep the process spinning in its `exit` handler, holding its ports.
 */
function dropWritesThatFailForGood(flush: () => void): void {
  const writeSync = fs.writeSync;
  let failed = false;
  fs.writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: never[]) => {
    const length = typeof data === 'string' ? Buffer.byteLength(data, (rest[1] as BufferEncoding | undefined) ?? 'utf8') : data.byteLength;
    if (failed) return length;
    try {
      return writeSync(fd, data as never, ...rest);
    } catch (err) {
      if (isBusy(err)) throw err;
      failed = true;
      return length;
    }
  }) as typeof fs.writeSync;
  try {
    flush();
  } finally {
    fs.writeSync = writeSync;
  }
}

const isBusy = (err: unknown) => ['EAGAIN', 'EBUSY'].includes((err as NodeJS.ErrnoException).code ?? '');

/** A non-blocking descriptor (a pipe, a terminal) may be full for a moment: wait for it, up to about a second. */
function writeSyncRetrying(fd: number, data: Buffer): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.writeSync(fd, data);
    } catch (err) {
      if (!isBusy(err) || attempt === 1000) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function bufferedStdout(): DestinationStream {
  return batchedDestination(1) as unknown as DestinationStream;
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

type LineValue = string | number | null | undefined;

const PLAIN = /^[^"\\\u0000-\u001f]*$/;
const CONTROL = /[\u0000-\u001f]/;
const QUOTE_OR_BACKSLASH = /["\\]/g;
/**
 * A string as pino (10, on node < 25) writes it: up to 100 UTF-16 units without control characters with only `"`
 * and `\` escaped, anything else through JSON.stringify.
 */
export function pinoString(value: string): string {
  if (value.length > 100) return JSON.stringify(value);
  if (PLAIN.test(value)) return `"${value}"`;
  return CONTROL.test(value) ? JSON.stringify(value) : `"${value.replace(QUOTE_OR_BACKSLASH, '\\$&')}"`;
}

const lineValue = (value: LineValue): string =>
  typeof value === 'string' ? pinoString(value) : typeof value === 'number' && Number.isFinite(value) ? String(value) : 'null';

/**
 * An info line with fixed keys, written byte for byte as `log.info(fields, msg)` writes it but without pino's walk
 * over an arbitrary object (its per-key serializer, redaction and type checks, the mixin's merge): at info every
 * request writes one, and pino's generic path cost about twice a line built here
 * (docs/performance.md). The request scope's trace ids are added as the mixin would add them. Where the logger
 * does something to a line this cannot reproduce — a serializer or redaction on one of the keys, a log formatter,
 * a write hook, a message prefix, another mixin, a stream that wants metadata — the writer is `log.info` itself.
 * Callers check `log.isLevelEnabled('info')` first.
 */
export function fixedInfoLine<K extends string>(log: Logger, msg: string, keys: readonly K[]): (fields: Record<K, LineValue>) => void {
  const plain = (fields: Record<K, LineValue>) => log.info(fields as object, msg);
  const internals = log as unknown as Record<symbol, unknown>;
  // pino.symbols at run time has more than its type declares (msgPrefixSym, mixinMergeStrategySym).
  const s = pino.symbols as typeof pino.symbols & Record<'msgPrefixSym' | 'mixinMergeStrategySym', symbol>;
  const serializers = internals[s.serializersSym] as Record<string, unknown>;
  const stringifiers = internals[s.stringifiersSym] as Record<string | symbol, unknown>;
  const formatters = internals[s.formattersSym] as { log?: unknown };
  const stream = internals[s.streamSym] as DestinationStream & Record<symbol, unknown>;
  const reproducible =
    keys.every((key) => serializers[key] === undefined && stringifiers[key] === undefined) &&
    stringifiers[s.wildcardFirstSym] === undefined &&
    serializers[internals[s.messageKeySym] as string] === undefined &&
    formatters.log === undefined &&
    (internals[s.hooksSym] as { streamWrite?: unknown }).streamWrite === undefined &&
    !internals[s.msgPrefixSym] &&
    !internals[s.nestedKeySym] &&
    stream[s.needsMetadataGsym] !== true &&
    (internals[s.mixinSym] === undefined || (internals[s.mixinSym] === scopeMixin.mixin && internals[s.mixinMergeStrategySym] === scopeMixin.mixinMergeStrategy));
  if (!reproducible) return plain;
  const levelCache = internals[s.lsCacheSym] as Record<number, string>;
  const time = internals[s.timeSym] as () => string;
  const chindings = internals[s.chindingsSym] as string;
  const tail = `,${pinoString(internals[s.messageKeySym] as string)}:${pinoString(msg)}${internals[s.endSym] as string}`;
  const prefixes = keys.map((key) => `,${pinoString(key)}:`);
  // The mixin adds the scope's ids to a line that names a request but carries no trace of its own.
  const scoped = internals[s.mixinSym] !== undefined && keys.includes('request_id' as K) && !keys.includes('trace_id' as K);
  return function handBuilt(fields) {
    let line = levelCache[30]! + time() + chindings;
    if (scoped && typeof fields['request_id' as K] === 'string') {
      const scope = liveScope(fields['request_id' as K] as string);
      if (scope) line += `,"trace_id":${pinoString(scope.trace_id)},"span_id":${pinoString(scope.span_id)}`;
    }
    for (let i = 0; i < keys.length; i++) {
      const value = fields[keys[i]!];
      if (value !== undefined) line += prefixes[i]! + lineValue(value);
    }
    stream.write(line + tail);
  };
}
