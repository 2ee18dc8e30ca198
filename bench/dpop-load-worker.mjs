/**
 * The DPoP load generator: like lib/load-worker.mjs, but each request gets a fresh proof (a new jti, the current
 * iat), since the server refuses a proof twice. Proofs are ES256 signed with node:crypto, fast enough that this
 * process, pinned to the load core, never becomes the bottleneck. Both sides of the comparison run through here
 * (`dpop: false` sends no proof), so the per-request work of the generator is the same for both.
 * argv[2]: JSON { url, headers, body, connections, duration | amount, dpop: false | { htu } } — htu is the token
 * endpoint as the issuer names it, which is not the loopback address the load goes to.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import autocannon from 'autocannon';
import { loadSummary } from './lib/load-summary.mjs';

const { dpop, ...options } = JSON.parse(process.argv[2]);

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });

function proof() {
  const input = `${header}.${b64({ htm: 'POST', htu: dpop.htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const result = await autocannon({
  ...options,
  pipelining: 1,
  requests: [
    {
      method: 'POST',
      setupRequest: (request) => (dpop ? { ...request, headers: { ...request.headers, dpop: proof() } } : request),
    },
  ],
});
process.stdout.write(`${JSON.stringify(loadSummary(result))}\n`);
