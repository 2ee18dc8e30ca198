/**
 * `GET /admin/audit/stream` over real HTTP: events arrive as they are emitted, filters apply, an id per event and
 * `Last-Event-ID` resumes with what was missed, heartbeats keep an idle stream alive, a client that does not read
 * is cut off, and stopping the server ends the stream without waiting for the shutdown timeout.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startServer, ADMIN_KEY, type TestServer } from '../../helpers/server.js';

interface Frame { id?: string; event?: string; data?: Record<string, unknown>; comment?: string }

/** An SSE reader over fetch: frames as they arrive, `until` waits for a predicate over everything read. */
async function openStream(server: TestServer, query = '', headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${server.adminUrl}/admin/audit/stream${query}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers },
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(60_000)]),
  });
  const frames: Frame[] = [];
  let ended = false;
  let wake = () => {};
  let buffer = '';
  const pump = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          }
          frames.push(frame);
        }
        wake();
      }
    } catch {
      // aborted by the test
    }
    ended = true;
    wake();
  })();
  const until = async (predicate: (frames: Frame[]) => boolean, what: string) => {
    while (!predicate(frames)) {
      if (ended) throw new Error(`stream ended before ${what}: ${JSON.stringify(frames)}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { response, frames, until, pump, ended: () => ended, close: () => controller.abort() };
}

const events = (frames: Frame[]) => frames.filter((f) => f.event === 'audit');

test('the live tail streams audit events as they happen, filtered, resumable, with heartbeats', async (t) => {
  const server = await startServer(t, { env: { AUTHPLANE_AUDIT_DB_STREAM_HEARTBEAT_SECONDS: '1' } });
  const audit = server.server.runtimeApi().audit;

  const bad = await server.admin('/admin/audit/stream?since=2025-01-01T00:00:00Z');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { detail: string }).detail, /since: is not a known parameter/);
  const unauthenticated = await fetch(`${server.adminUrl}/admin/audit/stream`, { signal: AbortSignal.timeout(30_000) });
  assert.equal(unauthenticated.status, 401);

  const all = await openStream(server);
  assert.equal(all.response.status, 200);
  assert.equal(all.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(all.response.headers.get('cache-control'), 'no-store');
  const onlyAda = await openStream(server, '?user_id=ada&action=user_updated');
  await all.until((f) => f.some((x) => x.comment === 'connected'), 'connected');
  await onlyAda.until((f) => f.some((x) => x.comment === 'connected'), 'connected');

  audit.emit({ action: 'user_updated', user_id: 'bob', actor_id: 'admin-api' });
  audit.emit({ action: 'user_updated', user_id: 'ada', actor_id: 'admin-api', detail: { n: 1 } });
  audit.emit({ action: 'user_created', user_id: 'ada' });
  await all.until((f) => events(f).length === 3, 'three events');
  await onlyAda.until((f) => events(f).length === 1, 'one event');
  assert.deepEqual(events(all.frames).map((f) => [f.data!.action, f.data!.user_id]), [['user_updated', 'bob'], ['user_updated', 'ada'], ['user_created', 'ada']]);
  const first = events(all.frames)[0]!;
  assert.equal(first.id, first.data!.id, 'the SSE id is the event id');
  assert.equal(events(onlyAda.frames)[0]!.data!.user_id, 'ada');
  assert.deepEqual(events(onlyAda.frames)[0]!.data!.detail, { n: 1 });
  // The streamed event is in the list already: it was written before it was sent.
  const listed = (await (await server.admin('/admin/audit?user_id=ada&action=user_updated')).json()) as { events: { id: string }[] };
  assert.deepEqual(listed.events.map((e) => e.id), [events(onlyAda.frames)[0]!.id]);

  // Idle: heartbeats.
  await all.until((f) => f.some((x) => x.comment === 'heartbeat'), 'a heartbeat');
  onlyAda.close();

  // Resuming after the first event: the two after it, from the table, then live ones.
  const resumed = await openStream(server, '', { 'last-event-id': first.id! });
  await resumed.until((f) => events(f).length === 2, 'the missed events');
  // Same millisecond or not, exactly the events after the last one seen (UUIDv7 orders milliseconds, not within).
  assert.deepEqual(events(resumed.frames).map((f) => f.id).sort(), events(all.frames).slice(1).map((f) => f.id).sort());
  audit.emit({ action: 'client_created', client_id: 'c1' });
  await resumed.until((f) => events(f).length === 3, 'a live event after the replay');
  assert.equal(events(resumed.frames)[2]!.data!.client_id, 'c1');
  const badId = await server.admin('/admin/audit/stream', { headers: { 'last-event-id': 'nope' } });
  assert.equal(badId.status, 400);

  // Stopping the server ends the streams cleanly, well before the shutdown timeout (30 s by default).
  const started = Date.now();
  await server.stop();
  await all.until(() => all.ended(), 'the end');
  await resumed.until(() => resumed.ended(), 'the end');
  assert.ok(Date.now() - started < 25_000, 'stop() was not held up by the open streams');
});

test('a client that does not read its stream is disconnected instead of buffered without bound', async (t) => {
  const server = await startServer(t);
  const audit = server.server.runtimeApi().audit;
  const { hostname, port } = new URL(server.adminUrl);
  const socket = connect(Number(port), hostname);
  t.after(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(`GET /admin/audit/stream HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n`);
  // Read the response head, then stop reading.
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let gone = false;
  void closed.then(() => (gone = true));
  const big = 'x'.repeat(256 * 1024);
  // Up to 256 MB of events: the server must give up long before (its bound is 1 MiB on top of the socket buffers).
  for (let i = 0; i < 1024 && !gone; i++) {
    for (let j = 0; j < 4; j++) audit.emit({ action: 'bulk', detail: { big, i, j } });
    await audit.flush();
  }
  await closed;
  assert.ok(server.logs.some((l) => l.msg === 'audit stream client too slow: disconnected'), 'the server cut it, and said so');
});
