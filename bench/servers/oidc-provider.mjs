/**
 * oidc-provider, the reference Node.js OpenID provider, as the baseline every benchmark ratio is taken against.
 * Plain JavaScript run by node directly (no TypeScript loader), so its memory and start-up are its own.
 *
 *   node bench/servers/oidc-provider.mjs --port 9100 [--profile wellknown]
 *
 * Profiles configure it like-for-like with the scenario: `wellknown` is the minimal provider (one ES256 signing
 * key, no clients) serving discovery and JWKS. Add a profile per scenario family rather than widening this one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values } = parseArgs({ options: { port: { type: 'string' }, profile: { type: 'string', default: 'wellknown' } } });
const port = Number(values.port ?? 9100);
const issuer = `http://127.0.0.1:${port}`;

function es256Jwk() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
}

/** @type {Record<string, () => import('oidc-provider').Configuration>} */
const PROFILES = {
  wellknown: () => ({
    jwks: { keys: [es256Jwk()] },
    cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
    features: { devInteractions: { enabled: false } },
  }),
};

const profile = PROFILES[values.profile];
if (!profile) {
  console.error(`unknown profile '${values.profile}' (known: ${Object.keys(PROFILES).join(', ')})`);
  process.exit(2);
}

const provider = new Provider(issuer, profile());
const server = provider.listen(port, '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
