/** Bounds on what one sender of client_ids can make the server do: the id's length, fetches per requester and host. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { authorizeUrl, tokenRequest } from '../oauth/flow.js';
import type { OAuthFixture } from '../oauth/setup.js';
import { FetchSlots, requesterKey } from '../../../plugins/cimd/fetch-slots.js';
import { cimdServer, claudeCodeLike, gate, heldDocument, startDocumentHost, untilHits } from './setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9999/callback';

function lookUp(fx: OAuthFixture, clientId: string, from?: string): Promise<Response> {
  return fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: REDIRECT_URI }), {
    redirect: 'manual',
    headers: from ? { 'x-forwarded-for': from } : {},
  });
}

for (const storage of ['sqlite', 'postgres'] as const) {
  test(`on ${storage}, a client_id URL longer than 512 characters is refused at authorize and at the token endpoint without a fetch`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const fx = await cimdServer(t, { storage });
    const host = await startDocumentHost(t);
    const at = (length: number) => {
      const path = `/clients/${'a'.repeat(length - `${host.origin}/clients/.json`.length)}.json`;
      return host.serve(path, claudeCodeLike);
    };
    const longest = at(512);
    assert.equal(longest.length, 512);
    assert.equal((await lookUp(fx, longest)).status, 302, 'exactly 512 characters is stored and works');
    assert.equal((await fx.admin(`/admin/clients/${encodeURIComponent(longest)}`)).status, 200);

    const tooLong = at(513);
    const page = await lookUp(fx, tooLong);
    assert.equal(page.status, 400);
    assert.match(await page.text(), /longer than 512 characters/);
    const token = await tokenRequest(fx, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y'.repeat(43), client_id: tooLong });
    assert.equal(token.status, 401);
    const body = await token.json();
    assert.equal(body.error, 'invalid_client');
    assert.match(body.error_description, /longer than 512 characters/);
    assert.equal(host.hits(new URL(tooLong).pathname), 0, 'never fetched');
  });
}

test('one requester cannot take more than cimd.maxConcurrentFetchesPerRequester fetch slots; another requester still can', async (t) => {
  const fx = await cimdServer(t, {
    cimdOptions: { maxConcurrentFetches: 16, maxConcurrentFetchesPerRequester: 2, maxConcurrentFetchesPerHost: 16 },
    env: { AUTHPLANE_SERVER_TRUSTED_PROXIES: 'loopback' },
  });
  const host = await startDocumentHost(t);
  const held = gate();
  const ids = ['/a.json', '/b.json', '/c.json'].map((path) => heldDocument(host, path, held));
  const first = [lookUp(fx, ids[0]!, '203.0.113.7'), lookUp(fx, ids[1]!, '203.0.113.7')];
  await untilHits(host, ['/a.json', '/b.json'], 2);
  const third = await lookUp(fx, ids[2]!, '203.0.113.7');
  assert.equal(third.status, 400);
  assert.match(await third.text(), /too many client metadata documents are being fetched for this requester/);
  assert.equal(host.hits('/c.json'), 0);
  // The same URL a slot already fetches: joining it costs nothing.
  const joined = lookUp(fx, ids[0]!, '203.0.113.7');
  // Another address, and an IPv6 requester counted by its /64.
  const other = lookUp(fx, ids[2]!, '198.51.100.9');
  await untilHits(host, ['/c.json'], 1);
  held.release();
  assert.deepEqual((await Promise.all([...first, joined, other])).map((r) => r.status), [302, 302, 302, 302]);
  assert.equal(host.hits('/a.json'), 1);
});

test('addresses of one IPv6 /64 share the per-requester fetch limit', async (t) => {
  const fx = await cimdServer(t, {
    cimdOptions: { maxConcurrentFetchesPerRequester: 1, maxConcurrentFetchesPerHost: 16 },
    env: { AUTHPLANE_SERVER_TRUSTED_PROXIES: 'loopback' },
  });
  const host = await startDocumentHost(t);
  const held = gate();
  const [a, b] = ['/a.json', '/b.json'].map((path) => heldDocument(host, path, held));
  const first = lookUp(fx, a!, '2001:db8:1:2::1');
  await untilHits(host, ['/a.json'], 1);
  const second = await lookUp(fx, b!, '2001:db8:1:2:ffff::9');
  assert.equal(second.status, 400);
  assert.match(await second.text(), /for this requester/);
  held.release();
  assert.equal((await first).status, 302);
});

test('no more than cimd.maxConcurrentFetchesPerHost documents are fetched at once from one host, whoever asks', async (t) => {
  const fx = await cimdServer(t, {
    cimdOptions: { maxConcurrentFetches: 16, maxConcurrentFetchesPerRequester: 16, maxConcurrentFetchesPerHost: 2 },
    env: { AUTHPLANE_SERVER_TRUSTED_PROXIES: 'loopback' },
  });
  const host = await startDocumentHost(t);
  const held = gate();
  const ids = ['/a.json', '/b.json', '/c.json'].map((path) => heldDocument(host, path, held));
  const first = [lookUp(fx, ids[0]!, '192.0.2.1'), lookUp(fx, ids[1]!, '192.0.2.2')];
  await untilHits(host, ['/a.json', '/b.json'], 2);
  const third = await lookUp(fx, ids[2]!, '192.0.2.3');
  assert.equal(third.status, 400);
  assert.match(await third.text(), /too many client metadata documents are being fetched from this host/);
  held.release();
  assert.deepEqual((await Promise.all(first)).map((r) => r.status), [302, 302]);
  assert.equal((await lookUp(fx, ids[2]!, '192.0.2.3')).status, 302, 'a refusal for capacity is not remembered');
});

test('fetch slots are counted per requester and per host: a full host or requester leaves the others their slots', () => {
  const slots = new FetchSlots({ total: 3, perRequester: 2, perHost: 2 });
  const a1 = slots.take('198.51.100.1', 'a.example');
  const a2 = slots.take('198.51.100.2', 'a.example');
  assert.ok('release' in a1 && 'release' in a2);
  assert.deepEqual(slots.take('198.51.100.3', 'a.example'), { full: 'host' });
  assert.ok('release' in slots.take('198.51.100.1', 'b.example'), 'another host has its own slots');
  assert.deepEqual(slots.take('198.51.100.3', 'c.example'), { full: 'total' });
  a2.release();
  assert.deepEqual(slots.take('198.51.100.1', 'c.example'), { full: 'requester' });
  a1.release();
  a1.release();
  assert.ok('release' in slots.take('198.51.100.1', 'c.example'), 'the requester slot came back');
  assert.ok('release' in slots.take('198.51.100.3', 'a.example'), 'the host slots came back');
  assert.deepEqual(slots.take('198.51.100.4', 'd.example'), { full: 'total' }, 'a second release gave nothing back');
});

test('a requester is its IPv4 address, or the /64 of its IPv6 address', () => {
  assert.equal(requesterKey('203.0.113.7'), '203.0.113.7');
  assert.equal(requesterKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(requesterKey('2001:db8:1:2::1'), requesterKey('2001:0db8:0001:0002:ffff:0:0:9'));
  assert.notEqual(requesterKey('2001:db8:1:2::1'), requesterKey('2001:db8:1:3::1'));
});
