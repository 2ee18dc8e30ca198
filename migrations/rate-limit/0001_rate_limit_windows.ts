import type { Knex } from 'knex';

/**
 * Request counts per (class, client address) and fixed window, shared by every replica on the database. One row per
 * key, reused window after window: the table grows with the number of addresses, and the purge target removes the
 * rows of windows long over.
 */
export const rateLimitWindows0001 = {
  name: 'rate-limit/0001_rate_limit_windows',
  async up(knex: Knex) {
    await knex.schema.createTable('rate_limit_windows', (t) => {
      t.string('key', 200).primary();
      t.bigInteger('window_start').notNullable().index();
      t.integer('hits').notNullable();
    });
  },
};
