import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { walIndexReader, type WalState } from './wal-index.js';

/**
 * WAL checkpoints off the event loop while the server writes steadily.
 *
 * SQLite copies the WAL back into the database file (a checkpoint) on the connection whose commit took the WAL past
 * 1,000 frames — our only writer, on the event loop: under token load a stall every half second, which every request
 * in flight waited behind (docs/performance.md). Once the WAL grows by `busyFrames` in a second, a worker thread with a
 * connection of its own takes over (PASSIVE checkpoints, which never wait for or block the writer) and the writer's
 * automatic checkpoint is turned off. After `quietMs` without such a second (a trickle of writes, such as the
 * clients' last-use stamps, does not count) the worker stops and the writer checkpoints itself again, so a server
 * that is not busy writing holds no thread (a worker costs several MiB resident). Should the worker fail, or fall
 * behind so the WAL passes `limitFrames`, the writer's automatic checkpoint comes back at once: the WAL stays bounded
 * either way.
 */
export interface CheckpointerOptions {
  /** How often the WAL index is looked at while idle (also the window writing is measured over), and while the worker runs. */
  idleTickMs: number;
  activeTickMs: number;
  /** Frames written within one window that make it busy: the first busy window starts the worker. */
  busyFrames: number;
  /** Time without a busy window after which the worker stops. */
  quietMs: number;
  /** Frames in the WAL at which a checkpoint is due (SQLite's own default). */
  dueFrames: number;
  /** Frames in the WAL at which the writer checkpoints itself again until the WAL has restarted. */
  limitFrames: number;
  /**
   * The worker thread's nice value (Linux; 0 leaves it at the process's). Copying pages back is background work: on
   * a core it shares with the event loop, a request that arrives should not wait out the checkpoint's time slice.
   */
  workerNice: number;
  /** Told when the worker cannot do its job (the writer's own checkpoints are back). */
  warn: (message: string, detail?: Record<string, unknown>) => void;
  /** The worker's program (tests inject failures); the default runs the checkpoints. */
  workerSource: string;
}

export const CHECKPOINTER_DEFAULTS: Omit<CheckpointerOptions, 'warn' | 'workerSource'> = {
  idleTickMs: 1000,
  activeTickMs: 25,
  busyFrames: 500,
  quietMs: 10_000,
  dueFrames: 1000,
  limitFrames: 20_000,
  workerNice: 10,
};

/** Consecutive passes when one ends with frames written meanwhile: a pass that ends caught up lets the WAL restart. */
const CATCH_UP_PASSES = 4;

interface WriterConnection {
  pragma(sql: string, options?: { simple: boolean }): unknown;
}

/** The worker: one connection, one PASSIVE checkpoint per message, the outcome posted back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.nice) {
  // Linux: setpriority on a thread id sets that thread's nice value alone (setpriority(2), NOTES). Where it cannot
  // be read or set, the worker runs at the process's priority, as before.
  try {
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) require('node:os').setPriority(tid, workerData.nice);
  } catch {}
}
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const result = checkpoint.get();
    parentPort.postMessage({ frames: result.log, backfilled: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
parentPort.postMessage({ ready: true });
`;

type WorkerMessage = { ready: true } | { frames: number; backfilled: number } | { error: string };

export class WalCheckpointer {
  readonly #options: CheckpointerOptions;
  readonly #index: ReturnType<typeof walIndexReader>;
  #worker: Worker | undefined;
  /** The worker has its connection and the writer's automatic checkpoint is off. */
  #active = false;
  /** The worker failed: the writer checkpoints itself for the rest of this connection's life. */
  #broken = false;
  #passInFlight = false;
  #catchUp = 0;
  /** The writer checkpoints itself because the WAL passed limitFrames. */
  #overLimit = false;
  #timer: NodeJS.Timeout | undefined;
  #last: WalState | undefined;
  /** Frames written since `#windowStart`; when the last window that was busy ended. */
  #windowFrames = 0;
  #windowStart = Date.now();
  #lastBusyAt = 0;
  #closed = false;
  /** The writer's own setting (SQLite's default, 1,000 frames), restored whenever the worker is not doing the job. */
  readonly #writerFrames: number;
  /** Passes the worker completed; for tests and diagnostics. */
  passes = 0;

  constructor(
    private readonly writer: WriterConnection,
    private readonly filename: string,
    options: Partial<CheckpointerOptions> & Pick<CheckpointerOptions, 'warn'>,
  ) {
    this.#options = { ...CHECKPOINTER_DEFAULTS, workerSource: WORKER_SOURCE, ...options };
    this.#index = walIndexReader(filename);
    this.#writerFrames = Number(writer.pragma('wal_autocheckpoint', { simple: true }));
    this.#schedule(this.#options.idleTickMs);
  }

  /** Whether the worker is doing the checkpoints now. */
  get active(): boolean {
    return this.#active;
  }

  /** Whether a worker thread exists (starting up, or doing the checkpoints). */
  get hasWorker(): boolean {
    return this.#worker !== undefined;
  }

  /** Stops the worker (its connection closes) and the timer; the writer keeps checkpointing itself. */
  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#index.close();
    return this.#stopWorker();
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.#tick(), ms);
    // Never what keeps a process alive (a CLI command ends when its work does).
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    const state = this.#index.read();
    const written = state ? framesWritten(this.#last, state, this.#options.dueFrames) : 0;
    if (state) this.#last = state;
    this.#windowFrames += written;
    if (now - this.#windowStart >= this.#options.idleTickMs) {
      if (this.#windowFrames >= this.#options.busyFrames) this.#lastBusyAt = now;
      this.#windowFrames = 0;
      this.#windowStart = now;
    }
    if (!this.#worker) {
      if (!this.#broken && this.#lastBusyAt === now) this.#startWorker();
    } else if (this.#active && state) {
      this.#steer(state);
      if (now - this.#lastBusyAt > this.#options.quietMs && !this.#passInFlight) void this.#stopWorker();
    }
    this.#schedule(this.#worker ? this.#options.activeTickMs : this.#options.idleTickMs);
  }

  /** While active: keep the WAL bounded, and ask for a pass when one is due. */
  #steer(state: WalState): void {
    if (state.frames >= this.#options.limitFrames && !this.#overLimit) {
      this.#overLimit = true;
      this.#autocheckpoint(this.#writerFrames);
    } else if (this.#overLimit && state.frames < this.#options.dueFrames) {
      this.#overLimit = false;
      this.#autocheckpoint(0);
    }
    if (state.frames >= this.#options.dueFrames && state.backfilled < state.frames) this.#pass();
  }

  #pass(): void {
    if (this.#passInFlight || !this.#worker) return;
    this.#passInFlight = true;
    this.#worker.postMessage('checkpoint');
  }

  #startWorker(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(this.#options.workerSource, {
      eval: true,
      workerData: { driver, filename: this.filename, nice: this.#options.workerNice },
      // Plain CommonJS: none of the process's flags (a `--input-type=module` would make the program fail to load,
      // `--import tsx` would load a compiler it does not need).
      execArgv: [],
      // It holds one statement and a few messages: a small heap keeps part of what it costs off the resident set.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
    });
    worker.unref();
    this.#worker = worker;
    // A worker being stopped may still report (a 'ready' that crossed the stop): only the current one steers.
    worker.on('message', (message: WorkerMessage) => this.#worker === worker && this.#onMessage(message));
    worker.on('error', (err) => this.#fail('the WAL checkpoint worker failed', { err: err.message }));
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#fail('the WAL checkpoint worker exited', { code });
    });
  }

  #onMessage(message: WorkerMessage): void {
    if ('ready' in message) {
      this.#active = true;
      this.#autocheckpoint(0);
      return;
    }
    this.#passInFlight = false;
    if ('error' in message) return this.#fail('a WAL checkpoint failed', { err: message.error });
    this.passes++;
    // Frames written while the pass ran: go again at once (a few times), so one pass ends caught up and the
    // writer's next transaction restarts the WAL from its beginning.
    if (message.backfilled < message.frames && this.#catchUp < CATCH_UP_PASSES) {
      this.#catchUp++;
      this.#pass();
    } else {
      this.#catchUp = 0;
    }
  }

  #fail(message: string, detail: Record<string, unknown>): void {
    if (this.#broken || this.#closed) return;
    this.#broken = true;
    this.#options.warn(`${message}; SQLite checkpoints on the writer again`, detail);
    void this.#stopWorker();
  }

  async #stopWorker(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#active = false;
    this.#passInFlight = false;
    this.#overLimit = false;
    this.#autocheckpoint(this.#writerFrames);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    // A worker that does not close its connection within a second is ended.
    const timer = setTimeout(() => void worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  }

  #autocheckpoint(frames: number): void {
    try {
      this.writer.pragma(`wal_autocheckpoint = ${frames}`);
    } catch (err) {
      // The connection is closing or closed; its checkpoints are no longer ours to steer.
      this.#options.warn('cannot set wal_autocheckpoint on the writer', { err: (err as Error).message });
    }
  }
}

/**
 * Frames appended between two looks at the WAL index, at least. The WAL restarts (new salt) only after a
 * checkpoint, which runs once it holds `dueFrames`: so across a restart it grew to that size, then again from zero.
 */
export function framesWritten(before: WalState | undefined, now: WalState, dueFrames: number): number {
  if (!before) return 0;
  if (now.salt !== before.salt) return Math.max(0, dueFrames - before.frames) + now.frames;
  return Math.max(0, now.frames - before.frames);
}
