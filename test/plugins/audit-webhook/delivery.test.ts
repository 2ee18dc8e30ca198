/** The webhook delivery queue against a real loopback receiver, with a scheduler advanced by hand (no real backoff). */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from 'authplane';
import { WebhookDelivery, type Timers, type WebhookSettings } from '../../../plugins/audit-webhook/delivery.js';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';

interface Received {
  body: string;
  signature: string;
  delivery: string;
}

/** A receiver answering each POST with the next status of `statuses` (the last one repeats). */
async function receiver(t: TestContext, statuses: number[]): Promise<{ url: string; received: Received[]; next: () => Promise<Received> }> {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const entry = { body, signature: String(req.headers['x-authplane-signature']), delivery: String(req.headers['x-authplane-delivery']) };
      const status = statuses[Math.min(received.length, statuses.length - 1)]!;
      received.push(entry);
      res.writeHead(status).end();
      waiters.shift()?.(entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  let taken = 0;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`,
    received,
    next: () => {
      const index = taken++;
      if (received[index]) return Promise.resolve(received[index]);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Timers that fire only when the test says so, recording the waits asked for. */
function manualTimers(): Timers & { waits: number[]; scheduled: () => Promise<() => void> } {
  const pending: (() => void)[] = [];
  const waiters: ((fire: () => void) => void)[] = [];
  const waits: number[] = [];
  return {
    waits,
    setTimeout(fn, ms) {
      waits.push(ms);
      const waiter = waiters.shift();
      if (waiter) waiter(fn);
      else pending.push(fn);
      return fn;
    },
    clearTimeout(handle) {
      const i = pending.indexOf(handle as () => void);
      if (i >= 0) pending.splice(i, 1);
    },
    scheduled() {
      const fn = pending.shift();
      return fn ? Promise.resolve(fn) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

function events(n: number, from = 0): AuditEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-7000-8000-${String(from + i).padStart(12, '0')}`,
    time: new Date(Date.UTC(2025, 0, 31) + from + i),
    action: 'token_issued',
    client_id: `c${from + i}`,
    detail: { n: from + i },
  }));
}

function settings(url: string, overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return { url, secret: SECRET, batchSize: 100, maxQueue: 1000, maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 60_000, timeoutMs: 10_000, ...overrides };
}

function droppedLog(): { drops: { reason: string; ids: string[] }[]; dropped: (e: readonly AuditEvent[], reason: string) => void } {
  const drops: { reason: string; ids: string[] }[] = [];
  return { drops, dropped: (e, reason) => drops.push({ reason, ids: e.map((x) => x.id) }) };
}

const quiet = pino({ level: 'silent' });

describe('audit webhook delivery', { concurrency: true }, () => {
  test('a batch is signed with HMAC-SHA256 over the exact body and retried with doubling waits until the receiver takes it', async (t) => {
    const hook = await receiver(t, [503, 500, 204]);
    const timers = manualTimers();
    const { drops, dropped } = droppedLog();
    const outcomes: string[] = [];
    const delivery = new WebhookDelivery(settings(hook.url), dropped, quiet, timers, { attempt: (o) => outcomes.push(o) });
    delivery.enqueue(events(3));

    const first = await hook.next();
    (await timers.scheduled())();
    const second = await hook.next();
    (await timers.scheduled())();
    const third = await hook.next();
    await delivery.whenIdle();

    assert.deepEqual(timers.waits, [1000, 2000], 'exponential backoff, no real sleeping');
    assert.deepEqual(outcomes, ['retry', 'retry', 'delivered']);
    assert.equal(second.body, first.body, 'a retry sends the same body');
    assert.equal(third.delivery, first.delivery, 'and the same delivery id');
    const expected = createHmac('sha256', SECRET).update(third.body).digest();
    assert.match(third.signature, /^sha256=[0-9a-f]{64}$/);
    assert.ok(timingSafeEqual(Buffer.from(third.signature.slice(7), 'hex'), expected), 'the signature verifies with the shared secret');
    const body = JSON.parse(third.body);
    assert.equal(body.delivery_id, third.delivery);
    assert.deepEqual(body.events.map((e: { detail: { n: number } }) => e.detail.n), [0, 1, 2]);
    assert.equal(body.events[0].time, '2025-01-31T00:00:00.000Z');
    assert.deepEqual(drops, []);
  });

  test('attempts used up drop the batch as webhook_failed; waits are capped at maxBackoffMs; the next batch still goes', async (t) => {
    const hook = await receiver(t, [500, 500, 500, 200]);
    const timers = manualTimers();
    const { drops, dropped } = droppedLog();
    const delivery = new WebhookDelivery(settings(hook.url, { maxAttempts: 3, batchSize: 2, maxBackoffMs: 1500 }), dropped, quiet, timers);
    delivery.enqueue(events(3));
    await hook.next();
    (await timers.scheduled())();
    await hook.next();
    (await timers.scheduled())();
    await hook.next();
    const fourth = await hook.next();
    await delivery.whenIdle();
    assert.deepEqual(timers.waits, [1000, 1500]);
    assert.deepEqual(drops, [{ reason: 'webhook_failed', ids: events(2).map((e) => e.id) }]);
    assert.deepEqual(JSON.parse(fourth.body).events.map((e: { detail: { n: number } }) => e.detail.n), [2], 'the rest of the queue');
  });

  test('a 4xx other than 408/429 is final: the batch is dropped as webhook_rejected without a retry', async (t) => {
    const hook = await receiver(t, [401, 200]);
    const timers = manualTimers();
    const { drops, dropped } = droppedLog();
    const delivery = new WebhookDelivery(settings(hook.url, { batchSize: 1 }), dropped, quiet, timers);
    delivery.enqueue(events(2));
    await hook.next();
    await hook.next();
    await delivery.whenIdle();
    assert.deepEqual(timers.waits, []);
    assert.deepEqual(drops, [{ reason: 'webhook_rejected', ids: [events(1)[0]!.id] }]);
  });

  test('an unreachable receiver is retried like a 5xx', async (t) => {
    const hook = await receiver(t, [200]);
    const closedPort = hook.url.replace(/:\d+\//, ':1/');
    const timers = manualTimers();
    const { drops, dropped } = droppedLog();
    const delivery = new WebhookDelivery(settings(closedPort, { maxAttempts: 2 }), dropped, quiet, timers);
    delivery.enqueue(events(1));
    (await timers.scheduled())();
    await delivery.whenIdle();
    assert.deepEqual(timers.waits, [1000]);
    assert.equal(drops[0]?.reason, 'webhook_failed');
  });

  test('beyond maxQueue events are dropped as webhook_queue_full; stopping drops what waits, never silently', async (t) => {
    const hook = await receiver(t, [503]);
    const timers = manualTimers();
    const { drops, dropped } = droppedLog();
    const delivery = new WebhookDelivery(settings(hook.url, { maxQueue: 3, batchSize: 2 }), dropped, quiet, timers);
    delivery.enqueue(events(2)); // taken at once as the first batch
    delivery.enqueue(events(5, 2)); // the queue holds 3 of these
    assert.deepEqual(drops, [{ reason: 'webhook_queue_full', ids: events(2, 5).map((e) => e.id) }]);
    await hook.next();
    await timers.scheduled(); // the first batch now waits for its retry
    assert.equal(delivery.queued, 5);
    await delivery.stop();
    assert.deepEqual(
      drops.slice(1).map((d) => [d.reason, d.ids.length]),
      [
        ['webhook_stopped', 2],
        ['webhook_stopped', 3],
      ],
    );
    delivery.enqueue(events(1, 9));
    assert.equal(drops.at(-1)?.reason, 'webhook_stopped', 'after stop nothing is queued');
  });
});
