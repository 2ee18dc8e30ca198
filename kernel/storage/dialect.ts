import type { Knex } from 'knex';

/** The little SQL that differs between SQLite and PostgreSQL, so plugins write one query for both. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * `server.fastPaths` as the database was opened: whether `insertRows` and the kernel's point reads may use the
   * driver's own connection (kernel/fast-path/driver-statements.ts) rather than knex's builder.
   */
  readonly fastPaths: boolean;
  /** Timestamps are stored as integer milliseconds since the epoch on both databases. */
  now(): number;
  /** true when the error is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /** JSON column value as written (text on SQLite, jsonb on PostgreSQL accept the same string). */
  json(value: unknown): string;
  parseJson<T>(value: unknown): T;
}

export function createDialect(name: 'sqlite' | 'postgres', options: { fastPaths: boolean }): Dialect {
  return {
    name,
    fastPaths: options.fastPaths,
    now: () => Date.now(),
    isUniqueViolation(error: unknown) {
      const e = error as { code?: string; message?: string };
      return name === 'postgres' ? e?.code === '23505' : /UNIQUE constraint failed/.test(e?.message ?? '');
    },
    json: (value) => JSON.stringify(value),
    parseJson<T>(value: unknown): T {
      return (typeof value === 'string' ? JSON.parse(value) : value) as T;
    },
  };
}

/** Runs `SELECT 1` bounded by a timeout; used by /health and /ready. */
export async function pingDatabase(db: Knex, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.raw('select 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
