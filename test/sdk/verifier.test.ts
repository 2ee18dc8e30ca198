import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { challengeResponse, createVerifier, TokenError, type TokenErrorReason, type Verifier } from '@authplane/sdk';
import { authplane, capturingLogger, decodePayload, forge, goodClaims, recordingFetch, RESOURCE_URI, userToken } from './fixture.js';
import { testClock } from '../helpers/clock.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

/** Asserts a refusal with its reason and the 401 Bearer invalid_token challenge a client would get. */
async function refused(verifier: Verifier, token: string, reason: TokenErrorReason): Promise<TokenError> {
  const err = await verifier.verify(token).then(
    () => assert.fail(`expected a refusal (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TokenError, String(err));
  assert.equal(err.reason, reason, err.message);
  const challenge = challengeResponse(err, { resourceMetadataUrl: PRM, scopes: ['tools/read'] });
  assert.equal(challenge.status, 401);
  assert.equal(
    challenge.headers['WWW-Authenticate'],
    `Bearer resource_metadata="${PRM}", scope="tools/read", error="invalid_token", error_description="${err.message.replace(/"/g, "'")}"`,
  );
  return err;
}

test('the verifier against a running AuthPlane', async (t) => {
  const fx = await authplane(t);
  const logger = capturingLogger();
  const verifier = createVerifier({ issuer: fx.url, resource: RESOURCE_URI, logger });
  const token = await userToken(fx, { scope: 'tools/read tools/write' });

  await t.test('a token issued by AuthPlane is accepted with its subject, client, scopes and claims', async () => {
    const verified = await verifier.verify(token);
    assert.equal(verified.sub, fx.userId);
    assert.equal(verified.clientId, fx.clientId);
    assert.deepEqual(verified.scopes, ['tools/read', 'tools/write']);
    assert.equal(verified.claims.iss, fx.url);
    assert.deepEqual(verified.claims.aud, [RESOURCE_URI]);
    assert.equal(typeof verified.claims.jti, 'string');
    assert.equal(verified.expiresAt, verified.claims.exp);
    const line = logger.lines.at(-1)!;
    assert.equal(line.msg, 'verified');
    assert.equal(line.level, 'info');
    assert.equal(line.sub, fx.userId);
    assert.equal(line.scope, 'tools/read tools/write');
    assert.deepEqual(line.aud, [RESOURCE_URI]);
  });

  await t.test('the resource is compared with a trailing slash tolerated', async () => {
    const slashed = createVerifier({ issuer: fx.url, resource: `${RESOURCE_URI}/`, logger: false });
    assert.equal((await slashed.verify(token)).sub, fx.userId);
  });

  await t.test('a token for another resource of the same AuthPlane is refused for its audience', async () => {
    const created = await fx.admin('/admin/resources', {
      method: 'POST',
      body: JSON.stringify({ slug: 'other', display_name: 'Other', uri: 'https://other.example.com/mcp', scopes: [{ name: 'tools/read' }] }),
    });
    assert.equal(created.status, 201);
    const other = await userToken(fx, { resource: 'https://other.example.com/mcp' });
    await refused(verifier, other, 'aud');
    const line = logger.lines.at(-1)!;
    assert.equal(line.msg, 'verified');
    assert.equal(line.ok, false);
    assert.equal(line.reason, 'aud', 'the log line says why');
  });

  await t.test('a token naming another issuer is refused even though its signature is good', async () => {
    await refused(verifier, await forge(fx, goodClaims(fx, { iss: 'http://127.0.0.1:1' })), 'iss');
  });

  await t.test('a token expired beyond the 30 s skew is refused and one within it is accepted', async () => {
    const exp = decodePayload(token).exp as number;
    const late = createVerifier({ issuer: fx.url, resource: RESOURCE_URI, logger: false, now: () => (exp + 31) * 1000 });
    await refused(late, token, 'expired');
    const justLate = createVerifier({ issuer: fx.url, resource: RESOURCE_URI, logger: false, now: () => (exp + 29) * 1000 });
    assert.equal((await justLate.verify(token)).sub, fx.userId);
  });

  await t.test('a token used before its nbf or issued in the future beyond the skew is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(verifier, await forge(fx, goodClaims(fx, { nbf: now + 120 })), 'not_yet_valid');
    await refused(verifier, await forge(fx, goodClaims(fx, { iat: now + 120 })), 'issued_in_future');
    assert.ok(await verifier.verify(await forge(fx, goodClaims(fx, { iat: now + 20 }))), 'within the skew');
  });

  await t.test('a token whose typ is not at+jwt is refused even when AuthPlane signed it', async () => {
    await refused(verifier, await forge(fx, goodClaims(fx), { typ: 'JWT' }), 'typ');
    assert.ok(await verifier.verify(await forge(fx, goodClaims(fx), { typ: 'application/at+jwt' })), 'RFC 7515 allows the media type prefix');
  });

  await t.test('an unsigned token (alg none) and an HMAC token are refused before any key lookup', async () => {
    const [h, p] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${p}.`;
    await refused(verifier, none, 'alg');
    const hmac = await new SignJWT(goodClaims(fx)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }).sign(new TextEncoder().encode('x'.repeat(32)));
    await refused(verifier, hmac, 'alg');
  });

  await t.test('a tampered token is refused for its signature', async () => {
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'tools/read tools/write admin' })).toString('base64url');
    await refused(verifier, `${h}.${widened}.${s}`, 'signature');
    const flipped = `${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    await refused(verifier, `${h}.${p}.${flipped}`, 'signature');
    // The genuine signature bytes spelled another way (unused low bits of the last character set): jose alone
    // would take it.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${s!.slice(0, -1)}${alphabet[alphabet.indexOf(s!.at(-1)!) | 1]}`;
    assert.ok(Buffer.from(respelled, 'base64url').equals(Buffer.from(s!, 'base64url')));
    await refused(verifier, `${h}.${p}.${respelled}`, 'signature');
  });

  await t.test('each required claim is enforced (iss, sub, aud, exp, iat, jti, client_id)', async () => {
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id']) {
      const claims = goodClaims(fx);
      delete claims[claim];
      const err = await verifier.verify(await forge(fx, claims)).catch((e: TokenError) => e);
      assert.ok(err instanceof TokenError, `${claim} missing must be refused`);
      assert.equal(err.reason, 'missing_claim', claim);
    }
  });

  await t.test('an unknown kid causes one JWKS refetch and is refused, and never more often than the floor', async () => {
    const recording = recordingFetch();
    // A minute's floor on a clock the test moves: within the floor by a minute of real time, past it at once.
    const clock = testClock();
    const floored = createVerifier({ issuer: fx.url, resource: RESOURCE_URI, logger: false, fetch: recording.fetch, jwksRefetchFloorMs: 60_000, now: clock.now });
    await floored.verify(token);
    assert.equal(floored.jwksFetchCount, 1);
    assert.equal(recording.urls.filter((u) => u.endsWith('/.well-known/oauth-authorization-server')).length, 1, 'discovery once');
    const { privateKey } = await generateKeyPair('ES256');
    const stranger = await new SignJWT(goodClaims(fx)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'not-a-key-of-authplane' }).sign(privateKey);
    clock.advance(60_000);
    await refused(floored, stranger, 'unknown_kid');
    assert.equal(floored.jwksFetchCount, 2, 'one refetch for the unknown kid');
    await refused(floored, stranger, 'unknown_kid');
    assert.equal(floored.jwksFetchCount, 2, 'no second refetch within the floor');
    await floored.verify(token);
    assert.equal(floored.jwksFetchCount, 2, 'known keys come from the cache');
  });

  await t.test('a request without a token gets a challenge without an error code (RFC 6750 §3.1)', async () => {
    const err = await verifier.verifyRequest({ method: 'POST', url: '/mcp', headers: {} }).catch((e: TokenError) => e);
    assert.ok(err instanceof TokenError);
    assert.equal(err.reason, 'missing_token');
    const challenge = challengeResponse(err, { resourceMetadataUrl: PRM, scopes: ['tools/read'] });
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers['WWW-Authenticate'], `Bearer resource_metadata="${PRM}", scope="tools/read"`);
  });

  await t.test('a missing scope is a 403 insufficient_scope asking for the granted and the needed scopes', async () => {
    const narrow = await userToken(fx, { scope: 'tools/read' });
    const err = await verifier
      .verifyRequest({ method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${narrow}` } }, { requiredScopes: ['tools/write'] })
      .catch((e: TokenError) => e);
    assert.ok(err instanceof TokenError);
    const challenge = challengeResponse(err, { resourceMetadataUrl: PRM, scopes: ['tools/read'] });
    assert.equal(challenge.status, 403);
    assert.match(challenge.headers['WWW-Authenticate']!, /^Bearer resource_metadata="[^"]+", scope="tools\/read tools\/write", error="insufficient_scope"/);
  });

  await t.test('a key rotated in after the JWKS was cached is picked up by the refetch (run last: it changes the signing key)', async () => {
    const rotating = createVerifier({ issuer: fx.url, resource: RESOURCE_URI, logger: false, jwksRefetchFloorMs: 0 });
    await rotating.verify(token);
    await fx.server.keys.rotate();
    const fresh = await userToken(fx);
    assert.notEqual(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid, JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid);
    assert.equal((await rotating.verify(fresh)).sub, fx.userId);
    assert.equal(rotating.jwksFetchCount, 2);
  });
});
