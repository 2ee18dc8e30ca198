/**
 * The assertion verifier of the trusted-issuers plugin, below HTTP: compact JWS parsing, the key choice from a JWK
 * set, the signature by node:crypto and the claim checks, each refusal with its reason. Real keys and signatures
 * (jose signs, as the clients and IdPs in the other tests do).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT, type JWK } from 'jose';
import { checkClaims, checkHeader, checkSignature, decodeJws } from '../../../plugins/trusted-issuers/compact-jwt.js';
import { KeySet } from '../../../plugins/trusted-issuers/key-set.js';
import { signingKey, type SigningKey } from './setup.js';

const NOW_MS = Date.UTC(2026, 0, 1, 12);
const NOW = NOW_MS / 1000;
const CHECKS = { issuer: 'client-1', audience: ['https://as.example/oauth/token', 'https://as.example'], requiredClaims: ['sub', 'jti'] };

function sign(key: SigningKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return new SignJWT({ iss: 'client-1', sub: 'client-1', aud: 'https://as.example/oauth/token', iat: NOW, exp: NOW + 60, jti: 'j1', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** The reason a verification of `token` against `set` at NOW is refused, or 'ok'. */
async function outcome(token: string, set: KeySet, checks: Parameters<typeof checkClaims>[1] = CHECKS): Promise<string> {
  try {
    const jws = decodeJws(token);
    const alg = checkHeader(jws);
    await checkSignature(jws, alg, set.candidates(alg, jws.header.kid));
    checkClaims(jws.payload, checks, NOW_MS);
    return 'ok';
  } catch (err) {
    const reason = (err as { reason?: string }).reason;
    if (!reason) throw err;
    return reason;
  }
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

test('ES256, RS256, PS256 and EdDSA assertions verify against their public JWKs; a signature by another key does not', async () => {
  for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
    const key = await signingKey(alg);
    const other = await signingKey(alg);
    const set = new KeySet({ keys: [key.publicJwk] });
    assert.equal(await outcome(await sign(key), set), 'ok', alg);
    assert.equal(await outcome(await sign(other, {}, { kid: key.kid }), set), 'invalid_signature', alg);
  }
});

test('alg none, HMAC and algorithms outside the list are unsupported_alg; an alg that does not fit the key finds no key', async () => {
  const key = await signingKey('ES256');
  const set = new KeySet({ keys: [key.publicJwk] });
  const claims = { iss: 'client-1', sub: 'client-1', aud: 'https://as.example', exp: NOW + 60, jti: 'n' };
  assert.equal(await outcome(`${b64({ alg: 'none' })}.${b64(claims)}.`, set), 'unsupported_alg');
  const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a shared secret long enough for HS256!!'));
  assert.equal(await outcome(hmac, set), 'unsupported_alg');
  assert.equal(await outcome(`${b64({ alg: 'ES384', kid: key.kid })}.${b64(claims)}.${b64('x'.repeat(96))}`, set), 'unsupported_alg');
  // An RS256 header naming the EC key: the key is not an RSA key, so no key of the set may verify it.
  const rsa = await signingKey('RS256');
  assert.equal(await outcome(await sign(rsa, {}, { kid: key.kid }), set), 'unknown_kid');
});

test('an ES256 signature must be R || S: the same signature DER-encoded, or cut short, is invalid_signature', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256' };
  const set = new KeySet({ keys: [jwk] });
  const input = `${b64({ alg: 'ES256', kid: 'k1' })}.${b64({ iss: 'client-1', sub: 'client-1', aud: 'https://as.example', exp: NOW + 60, jti: 'd' })}`;
  const raw = nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const der = nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'der' });
  assert.equal(await outcome(`${input}.${raw.toString('base64url')}`, set), 'ok');
  assert.equal(await outcome(`${input}.${der.toString('base64url')}`, set), 'invalid_signature');
  assert.equal(await outcome(`${input}.${raw.subarray(0, 63).toString('base64url')}`, set), 'invalid_signature');
});

test('a malformed compact JWS is refused before any key is looked at', async () => {
  const key = await signingKey('ES256');
  const set = new KeySet({ keys: [key.publicJwk] });
  const token = await sign(key);
  const [h, p, s] = token.split('.') as [string, string, string];
  const cases: Record<string, string> = {
    'two parts': `${h}.${p}`,
    'four parts': `${token}.x`,
    'padding in a segment': `${h}=.${p}.${s}`,
    'a character outside base64url': `${h}.${p.slice(0, -1)}+.${s}`,
    'a header that is not JSON': `${b64('{alg')}.${p}.${s}`,
    'a header that is an array': `${b64(['ES256'])}.${p}.${s}`,
    'a payload that is a string': `${h}.${b64('"claims"')}.${s}`,
    'a payload that is not UTF-8': `${h}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${s}`,
    'no alg': `${b64({ kid: key.kid })}.${p}.${s}`,
  };
  for (const [name, bad] of Object.entries(cases)) assert.equal(await outcome(bad, set), 'malformed', name);
  // RFC 7515 §4.1.11: a critical extension this verifier does not understand (b64 included) makes the JWS invalid.
  assert.equal(await outcome(await sign(key, {}, { crit: ['b64'], b64: true }), set), 'malformed');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${b64({ alg: 'ES256', kid: 'k1', crit: ['urn:example:ext'], 'urn:example:ext': 1 })}.${p}`;
  const extension = `${input}.${nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  assert.equal(await outcome(extension, new KeySet({ keys: [{ ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1' }] })), 'malformed');
});

test('the key is chosen by kid, use, key_ops, alg and curve; a private, small or unreadable JWK is never used', async () => {
  const key = await signingKey('ES256');
  const token = await sign(key);
  const { kid: _kid, ...noKid } = key.publicJwk;
  const outcomeWith = (jwk: Record<string, unknown>) => outcome(token, new KeySet({ keys: [jwk as JWK] }));
  assert.equal(await outcomeWith({ ...key.publicJwk, kid: 'another' }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, use: 'enc' }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, key_ops: ['encrypt'] }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, key_ops: ['verify'] }), 'ok');
  assert.equal(await outcomeWith({ ...key.publicJwk, alg: 'ES384' }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, crv: 'P-384' }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, x: 'AAAA' }), 'unknown_kid');
  assert.equal(await outcomeWith({ ...key.publicJwk, d: 'AAAA' }), 'unknown_kid');
  // A header without kid may be verified by any fitting key of the set: the one that made the signature wins.
  const other = await signingKey('ES256');
  const unnamed = await sign(key, {}, { kid: undefined });
  assert.equal(await outcome(unnamed, new KeySet({ keys: [other.publicJwk, noKid as JWK] })), 'ok');
  assert.equal(await outcome(unnamed, new KeySet({ keys: [other.publicJwk] })), 'invalid_signature');
  // RFC 7518 §3.3: RSA keys under 2048 bits are not used.
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const smallJwk = { ...(small.publicKey.export({ format: 'jwk' }) as JWK), kid: 'small' };
  const input = `${b64({ alg: 'RS256', kid: 'small' })}.${b64({ iss: 'client-1', sub: 'client-1', aud: 'https://as.example', exp: NOW + 60, jti: 'r' })}`;
  const signature = nodeSign('sha256', Buffer.from(input), small.privateKey).toString('base64url');
  assert.equal(await outcome(`${input}.${signature}`, new KeySet({ keys: [smallJwk] })), 'unknown_kid');
});

test('claims: iss, aud (string or list), exp, nbf and iat within 30 s of skew, required claims present', async () => {
  const key = await signingKey('ES256');
  const set = new KeySet({ keys: [key.publicJwk] });
  const check = async (claims: Record<string, unknown>, checks = CHECKS) => outcome(await sign(key, claims), set, checks);
  assert.equal(await check({ iss: 'client-2' }), 'wrong_issuer');
  assert.equal(await check({ aud: 'https://elsewhere.example' }), 'wrong_audience');
  assert.equal(await check({ aud: ['https://elsewhere.example', 'https://as.example'] }), 'ok');
  assert.equal(await check({ aud: undefined }), 'wrong_audience');
  assert.equal(await check({ exp: undefined }), 'invalid_claims');
  assert.equal(await check({ exp: String(NOW + 60) }), 'invalid_claims');
  assert.equal(await check({ jti: undefined }), 'invalid_claims');
  assert.equal(await check({ exp: NOW - 31 }), 'expired');
  assert.equal(await check({ exp: NOW - 29 }), 'ok');
  assert.equal(await check({ nbf: NOW + 31 }), 'not_yet_valid');
  assert.equal(await check({ nbf: NOW + 29 }), 'ok');
  const aged = { ...CHECKS, maxAge: 300 };
  assert.equal(await check({ iat: NOW - 331 }, aged), 'too_old');
  assert.equal(await check({ iat: NOW - 329 }, aged), 'ok');
  assert.equal(await check({ iat: NOW + 31 }, aged), 'too_old');
  assert.equal(await check({ iat: undefined }, aged), 'too_old');
});
