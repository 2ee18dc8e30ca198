import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createHookCatalog } from '../../kernel/hooks.js';
import { AuditQueue, MIN_INTERVAL_MS } from '../../kernel/observe/audit.js';
import type { AuditEvent } from '../../kernel/contracts.js';
import { Metrics } from '../../kernel/observe/metrics.js';

/** A queue whose interval is long enough that a loaded machine's slow turns cannot blur what a test observes. */
function queue(intervalMs = 50) {
  const hooks = createHookCatalog();
  const deliveries: AuditEvent[][] = [];
  hooks.auditSinks.tapPromise('test', async (events) => void deliveries.push([...events]));
  return { audit: new AuditQueue(hooks.auditSinks, pino({ level: 'silent' }), intervalMs), deliveries };
}
const turn = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an audit event after a quiet spell reaches the sinks on the next turn', async () => {
  const { audit, deliveries } = queue();
  audit.emit({ action: 'client_created', client_id: 'a' });
  assert.equal(deliveries.length, 0, 'never on the emitting turn');
  await turn();
  await turn();
  assert.deepEqual(deliveries.map((d) => d.map((e) => e.client_id)), [['a']]);
});

test('events that keep coming are delivered in batches at most once per interval, none lost, in order', async () => {
  const { audit, deliveries } = queue();
  const started = performance.now();
  for (let i = 0; i < 40; i++) {
    audit.emit({ action: 'token_issued', client_id: String(i) });
    await sleep(5);
  }
  await audit.flush();
  const elapsed = performance.now() - started;
  assert.deepEqual(deliveries.flat().map((e) => e.client_id), Array.from({ length: 40 }, (_, i) => String(i)));
  // One delivery per turn would be ~40; the interval bounds it by the elapsed time (plus the first and the flush).
  assert.ok(deliveries.length <= Math.ceil(elapsed / 50) + 2, `${deliveries.length} deliveries in ${elapsed.toFixed(0)} ms`);
  assert.ok(deliveries.length >= 2, 'batches, not one delivery at the end');
});

test('flush delivers what waits for its interval at once', async () => {
  // A minute: the second event must still be waiting after a turn, and a loaded machine can stall longer than 50 ms.
  const { audit, deliveries } = queue(60_000);
  audit.emit({ action: 'user_created', user_id: 'first' });
  await audit.flush();
  audit.emit({ action: 'user_created', user_id: 'second' });
  await turn();
  await turn();
  assert.equal(deliveries.length, 1, 'the second waits for the interval');
  await audit.flush();
  assert.deepEqual(deliveries.map((d) => d.map((e) => e.user_id)), [['first'], ['second']]);
});

test('with the default interval, an event on every turn still reaches the sinks in batches', async () => {
  const hooks = createHookCatalog();
  const drains: { at: number; events: number }[] = [];
  hooks.auditSinks.tapPromise('test', async (events) => {
    // A drain hands a large queue over in several batches at the same moment: count moments.
    const at = performance.now();
    const last = drains.at(-1);
    if (last && at - last.at < 0.5) last.events += events.length;
    else drains.push({ at, events: events.length });
  });
  const audit = new AuditQueue(hooks.auditSinks, pino({ level: 'silent' }));
  const started = performance.now();
  let turns = 0;
  while (performance.now() - started < 20 * MIN_INTERVAL_MS) {
    audit.emit({ action: 'token_issued', client_id: String(turns++) });
    await turn();
  }
  await audit.flush();
  const elapsed = performance.now() - started;
  assert.equal(drains.reduce((n, d) => n + d.events, 0), turns, 'every event delivered');
  // Timers keep whole milliseconds of loop time, so an interval can end up to a millisecond short.
  assert.ok(drains.length <= Math.ceil(elapsed / (MIN_INTERVAL_MS - 1)) + 2, `${drains.length} deliveries in ${elapsed.toFixed(0)} ms`);
  assert.ok(drains.length < turns / 10, `${drains.length} deliveries for ${turns} turns`);
});

test('a sink that fails loses no event silently: each is logged at error level with its fields and counted as sink_failed', async () => {
  const hooks = createHookCatalog();
  hooks.auditSinks.tapPromise('webhook', async () => {
    throw new Error('webhook answered 503');
  });
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const metrics = new Metrics({ defaultMetrics: false });
  const audit = new AuditQueue(hooks.auditSinks, log, 50, metrics);
  audit.emit({ action: 'user_login_failed', user_id: 'a' });
  audit.emit({ action: 'user_login_failed', user_id: 'b' });
  await audit.flush();
  const dropped = lines.filter((l) => l.msg === 'audit event dropped');
  assert.deepEqual(dropped.map((l) => (l.audit_event as { user_id: string }).user_id), ['a', 'b']);
  for (const line of dropped) {
    assert.equal(line.level, 50, 'error level');
    assert.equal(line.reason, 'sink_failed');
    assert.equal(line.error, 'webhook answered 503');
  }
  assert.match(await metrics.registry.metrics(), /authserver_audit_events_dropped_total\{reason="sink_failed"\} 2/);
});
