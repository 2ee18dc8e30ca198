import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BucketOptions } from './schema.js';
import type { PurgeDeletion } from 'authplane';

/**
 * The count of one (class, address) key in the current window, in one atomic statement on both databases: a new
 * window starts the count over; concurrent requests on any replica each get the count the others left.
 */
const COUNT_HIT = `
insert into rate_limit_windows ("key", window_start, hits) values (?, ?, 1)
on conflict ("key") do update set
  hits = case when rate_limit_windows.window_start = excluded.window_start then rate_limit_windows.hits + 1 else 1 end,
  window_start = excluded.window_start
returning hits, window_start`;

/** Logging a database that does not answer once per interval, not once per request. */
const WARN_INTERVAL_MS = 10_000;

/**
 * Fixed windows shared by the replicas of one database (PostgreSQL): a bucket of `capacity` refilling at
 * `refillPerSecond` becomes `capacity` requests per window of `capacity / refillPerSecond` seconds — the same
 * sustained rate, while a burst across a window boundary can reach twice the capacity (the price of one row per
 * address instead of a per-request timestamp). Costs one database statement per limited request.
 */
export class SharedWindows {
  readonly #windowMs: number;
  #warnedAt = 0;

  constructor(
    private readonly className: string,
    private readonly options: BucketOptions,
    private readonly db: () => Knex,
    private readonly log: Logger,
  ) {
    this.#windowMs = Math.max(1000, Math.round((options.capacity / options.refillPerSecond) * 1000));
  }

  /** Counts one request for `key`: 0 when allowed, otherwise the whole seconds until the window ends. */
  async take(key: string, now = Date.now()): Promise<number> {
    const windowStart = Math.floor(now / this.#windowMs) * this.#windowMs;
    let row: { hits: number | string; window_start: number | string } | undefined;
    try {
      const result = await this.db().raw(COUNT_HIT, [`${this.className}:${key}`, windowStart]);
      row = (Array.isArray(result) ? result : (result as { rows: typeof row[] }).rows)[0];
    } catch (err) {
      // A limiter must not turn a database blip into refusals of every request: it lets the request through.
      if (now - this.#warnedAt > WARN_INTERVAL_MS) {
        this.#warnedAt = now;
        this.log.warn({ err, class: this.className }, 'shared rate limit unavailable; requests are not limited');
      }
      return 0;
    }
    if (!row || Number(row.hits) <= this.options.capacity) return 0;
    return Math.max(1, Math.ceil((Number(row.window_start) + this.#windowMs - now) / 1000));
  }
}

/** Rows of windows that ended before `before` (ms), by the `window_start` index. */
export function windowsEndedBefore(before: number): PurgeDeletion {
  return { table: 'rate_limit_windows', key: 'key', where: (q) => q.where('window_start', '<', before) };
}
