/**
 * A server's database for its life: opened once from the registered driver (knex, the dialect, the fast path's
 * synchronous reader, the long-read worker, the replicas' channel), migrated with every owner's migrations, and
 * closed in the order that lets each part finish with the database still there.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { KernelConfig } from '../config/types.js';
import { BootError } from '../errors.js';
import type { RegistryCatalog } from '../hooks.js';
import { traceKnexQueries } from '../observe/tracing.js';
import { openDatabase, type ReaderSlot } from './database.js';
import type { Dialect } from './dialect.js';
import { migrateLatest, type Migration } from './migrations.js';
import { attachOffLoopReader, OffLoopReader } from './off-loop-reads.js';
import { ReplicaMessages } from './replicas.js';

interface Opened {
  db: Knex;
  dialect: Dialect;
  reader: ReaderSlot;
  offLoop: OffLoopReader | undefined;
  replicas: ReplicaMessages;
  explain: (error: unknown) => string | undefined;
}

export class ServerStorage {
  /** Every owner's migrations, in registration order (the kernel's first). */
  readonly migrations: Migration[] = [];
  #opened: Opened | undefined;

  constructor(
    private readonly config: KernelConfig,
    private readonly drivers: RegistryCatalog['storageDrivers'],
    private readonly log: Logger,
  ) {}

  async open(): Promise<Knex> {
    if (!this.#opened) {
      const storageLog = this.log.child({ component: 'storage' });
      const { db, dialect, reader, explain, replicaChannel, offLoopDatabase } = await openDatabase(this.config, this.drivers, storageLog);
      // A span per knex statement under a traced request (the fast-path statements have theirs where they are used).
      if (this.config.observability.tracing.enabled) traceKnexQueries(db, dialect.name === 'postgres' ? 'postgresql' : 'sqlite');
      const offLoop = offLoopDatabase && new OffLoopReader(offLoopDatabase, { onStart: () => storageLog.info('long-read worker thread started') });
      if (offLoop) attachOffLoopReader(db, offLoop);
      const replicas = new ReplicaMessages(replicaChannel, this.log.child({ component: 'replicas' }));
      this.#opened = { db, dialect, reader, offLoop, replicas, explain };
    }
    return this.#opened.db;
  }

  get #open(): Opened {
    if (!this.#opened) throw new Error('the database is not open yet');
    return this.#opened;
  }

  get db(): Knex {
    return this.#open.db;
  }

  get dialect(): Dialect {
    return this.#open.dialect;
  }

  /** The dialect, or undefined before the database is open. */
  get openDialect(): Dialect | undefined {
    return this.#opened?.dialect;
  }

  get reader(): ReaderSlot {
    return this.#open.reader;
  }

  get replicas(): ReplicaMessages {
    return this.#open.replicas;
  }

  /** The worker for long reads (SQLite files); undefined until the database is open, or elsewhere. */
  get offLoopReader(): OffLoopReader | undefined {
    return this.#opened?.offLoop;
  }

  async migrate(): Promise<string[]> {
    try {
      const applied = await migrateLatest(this.db, this.migrations);
      if (applied.length) this.log.info({ applied }, 'migrations applied');
      return applied;
    } catch (cause) {
      const explained = this.#opened?.explain(cause);
      throw new BootError('AP_ERR_STORAGE_UNAVAILABLE', explained ?? `cannot migrate the database: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    const opened = this.#opened;
    if (!opened) return;
    await opened.replicas.close();
    opened.reader.close();
    await opened.offLoop?.close();
    await opened.db.destroy();
  }
}
