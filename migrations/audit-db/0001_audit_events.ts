import type { Knex } from 'knex';

export const auditEvents0001 = {
  name: 'audit-db/0001_audit_events',
  async up(knex: Knex) {
    await knex.schema.createTable('audit_events', (t) => {
      t.string('id', 36).primary();
      t.bigInteger('time').notNullable();
      t.string('action', 64).notNullable();
      t.string('actor_id', 255).nullable();
      t.string('user_id', 255).nullable();
      t.string('client_id', 512).nullable();
      t.string('ip', 64).nullable();
      t.string('trace_id', 64).nullable();
      t.string('request_id', 128).nullable();
      t.text('detail').nullable();
      t.index(['time']);
      t.index(['user_id', 'time']);
      t.index(['client_id', 'time']);
      t.index(['action', 'time']);
    });
  },
};
