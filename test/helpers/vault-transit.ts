/**
 * A loopback stand-in for HashiCorp Vault's Transit secrets engine, since no Vault binary can be installed here.
 * It implements the subset AuthPlane uses as Vault documents it (API docs "Transit - Secrets Engines - HTTP API"):
 * `X-Vault-Token` checked on every request (403 `permission denied`), `POST /v1/<mount>/encrypt/<name>` and
 * `/decrypt/<name>` with base64 `plaintext` and base64 `associated_data` (AEAD keys only), ciphertexts
 * `vault:v<N>:base64(nonce ‖ ciphertext ‖ tag)` made with real AES-GCM under versioned keys, `POST keys/<name>`
 * (create), `GET keys/<name>` (read), `POST keys/<name>/rotate`, `POST keys/<name>/config`
 * (`min_decryption_version`), and errors as `{"errors": [...]}` with Vault's messages. Signing keys (`ecdsa-p256`):
 * `GET keys/<name>` lists each version's `public_key` (PEM), `POST sign/<name>` signs base64 `input` (SHA-256;
 * `marshaling_algorithm` `jws` gives raw r‖s base64url, `asn1` DER base64; `key_version` picks a version).
 * AppRole: `POST /v1/auth/approle/login` with `role_id`/`secret_id` gives a token accepted like the root token until
 * `expireLogins()`.
 * Test switches: `mode` 'hang' (accepts, never answers) and 'redirect' (307 to `redirectTo`).
 */
import { createCipheriv, createDecipheriv, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const AEAD_TYPES: Record<string, number> = { 'aes128-gcm96': 16, 'aes256-gcm96': 32 };

const SIGNING_TYPES = new Set(['ecdsa-p256']);

interface TransitKey {
  type: string;
  /** versions[0] is version 1; `privateKey` for signing keys, `key` for AEAD ones. */
  versions: { key: Buffer; privateKey?: KeyObject; created: number }[];
  minDecryptionVersion: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeVault {
  url: string;
  token: string;
  mount: string;
  requests: RecordedRequest[];
  mode: 'normal' | 'hang' | 'redirect';
  redirectTo?: string;
  /** Creates a key as `POST keys/<name>` would. */
  createKey(name: string, type?: string): void;
  /** Rotates as `POST keys/<name>/rotate` would; returns the new latest version. */
  rotate(name: string): number;
  /** AppRole credentials `POST /v1/auth/approle/login` accepts. */
  approle: { roleId: string; secretId: string };
  /** Tokens AppRole logins gave out stop working, as when their TTL ends. */
  expireLogins(): void;
  stop(): Promise<void>;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

function decodeBase64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new VaultError(400, [`illegal base64 data in ${field}`]);
  }
  return Buffer.from(value, 'base64');
}

export async function startFakeVault(
  cleanup: { after(fn: () => unknown): void },
  options: { token?: string; mount?: string } = {},
): Promise<FakeVault> {
  const token = options.token ?? `hvs.${randomBytes(18).toString('base64url')}`;
  const mount = options.mount ?? 'transit';
  const keys = new Map<string, TransitKey>();
  const hanging = new Set<ServerResponse>();
  const approle = { roleId: randomUUID(), secretId: randomUUID() };
  const loginTokens = new Set<string>();

  const newVersion = (type: string) =>
    SIGNING_TYPES.has(type)
      ? { key: Buffer.alloc(0), privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, created: Date.now() }
      : { key: randomBytes(AEAD_TYPES[type]!), created: Date.now() };
  const createKey = (name: string, type = 'aes256-gcm96') => {
    if (!(type in AEAD_TYPES) && !SIGNING_TYPES.has(type)) throw new VaultError(400, [`unknown key type ${type}`]);
    if (!keys.has(name)) keys.set(name, { type, versions: [newVersion(type)], minDecryptionVersion: 1 });
  };
  const keyOf = (name: string) => {
    const key = keys.get(name);
    if (!key) throw new VaultError(400, ['encryption key not found']);
    return key;
  };
  const rotate = (name: string) => {
    const key = keyOf(name);
    key.versions.push(newVersion(key.type));
    return key.versions.length;
  };

  const signInput = (name: string, body: Record<string, unknown>) => {
    const key = keyOf(name);
    if (!SIGNING_TYPES.has(key.type)) throw new VaultError(400, [`key type ${key.type} does not support signing`]);
    if (body.input === undefined) throw new VaultError(400, ['missing input to process']);
    const input = decodeBase64(body.input, 'input');
    const hash = body.hash_algorithm ?? 'sha2-256';
    if (hash !== 'sha2-256') throw new VaultError(400, [`unsupported hash algorithm ${String(hash)}`]);
    const version = typeof body.key_version === 'number' && body.key_version > 0 ? body.key_version : key.versions.length;
    if (version > key.versions.length) throw new VaultError(400, ['requested version for signing does not exist']);
    const marshaling = body.marshaling_algorithm ?? 'asn1';
    if (marshaling !== 'asn1' && marshaling !== 'jws') throw new VaultError(400, [`unsupported marshaling algorithm ${String(marshaling)}`]);
    const signature = sign('sha256', input, { key: key.versions[version - 1]!.privateKey!, dsaEncoding: marshaling === 'jws' ? 'ieee-p1363' : 'der' });
    return { signature: `vault:v${version}:${signature.toString(marshaling === 'jws' ? 'base64url' : 'base64')}`, key_version: version };
  };

  const encrypt = (name: string, body: Record<string, unknown>) => {
    if (body.plaintext === undefined) throw new VaultError(400, ['missing plaintext to encrypt']);
    const plaintext = decodeBase64(body.plaintext, 'plaintext');
    const key = keyOf(name);
    const version = key.versions.length;
    const nonce = randomBytes(12);
    const cipher = createCipheriv(key.type === 'aes128-gcm96' ? 'aes-128-gcm' : 'aes-256-gcm', key.versions[version - 1]!.key, nonce);
    if (body.associated_data) cipher.setAAD(decodeBase64(body.associated_data, 'associated_data'));
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: `vault:v${version}:${sealed.toString('base64')}`, key_version: version };
  };

  const decrypt = (name: string, body: Record<string, unknown>) => {
    if (typeof body.ciphertext !== 'string' || body.ciphertext === '') throw new VaultError(400, ['missing ciphertext to decrypt']);
    const match = /^vault:v(\d+):(.*)$/.exec(body.ciphertext);
    if (!body.ciphertext.startsWith('vault:')) throw new VaultError(400, ['invalid ciphertext: no prefix']);
    if (!match) throw new VaultError(400, ['invalid ciphertext: wrong number of fields']);
    const key = keyOf(name);
    const version = Number(match[1]);
    if (version < key.minDecryptionVersion) {
      throw new VaultError(400, ['ciphertext or signature version is disallowed by policy (too old)']);
    }
    if (version < 1 || version > key.versions.length) throw new VaultError(400, ['invalid key version']);
    const raw = decodeBase64(match[2], 'ciphertext');
    if (raw.length < 28) throw new VaultError(400, ['invalid ciphertext length']);
    const decipher = createDecipheriv(key.type === 'aes128-gcm96' ? 'aes-128-gcm' : 'aes-256-gcm', key.versions[version - 1]!.key, raw.subarray(0, 12));
    if (body.associated_data) decipher.setAAD(decodeBase64(body.associated_data, 'associated_data'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
      const plaintext = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      return { plaintext: plaintext.toString('base64') };
    } catch {
      throw new VaultError(400, ['cipher: message authentication failed']);
    }
  };

  const readKey = (name: string) => {
    const key = keys.get(name);
    if (!key) throw new VaultError(404, []);
    if (SIGNING_TYPES.has(key.type)) {
      return {
        name,
        type: key.type,
        exportable: false,
        deletion_allowed: false,
        keys: Object.fromEntries(
          key.versions.map((v, i) => [
            String(i + 1),
            {
              creation_time: new Date(v.created).toISOString(),
              name: 'P-256',
              public_key: createPublicKey(v.privateKey!).export({ format: 'pem', type: 'spki' }),
            },
          ]),
        ),
        latest_version: key.versions.length,
        min_decryption_version: key.minDecryptionVersion,
        min_encryption_version: 0,
        supports_encryption: false,
        supports_decryption: false,
        supports_derivation: false,
        supports_signing: true,
      };
    }
    return {
      name,
      type: key.type,
      derived: false,
      exportable: false,
      deletion_allowed: false,
      keys: Object.fromEntries(key.versions.map((v, i) => [String(i + 1), Math.floor(v.created / 1000)])),
      latest_version: key.versions.length,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: 0,
      supports_encryption: true,
      supports_decryption: true,
      supports_derivation: true,
      supports_signing: false,
    };
  };

  const route = (method: string, path: string, body: Record<string, unknown>): Record<string, unknown> | null => {
    const prefix = `/v1/${mount}/`;
    if (!path.startsWith(prefix)) throw new VaultError(404, [`no handler for route "${path.slice(4)}". route entry not found.`]);
    const parts = path.slice(prefix.length).split('/').map(decodeURIComponent);
    const write = method === 'POST' || method === 'PUT';
    if (write && parts.length === 2 && parts[0] === 'encrypt') return encrypt(parts[1]!, body);
    if (write && parts.length === 2 && parts[0] === 'decrypt') return decrypt(parts[1]!, body);
    if (write && parts.length === 2 && parts[0] === 'sign') return signInput(parts[1]!, body);
    if (parts[0] === 'keys' && parts.length === 2 && method === 'GET') return readKey(parts[1]!);
    if (parts[0] === 'keys' && parts.length === 2 && write) {
      createKey(parts[1]!, typeof body.type === 'string' ? body.type : undefined);
      return null;
    }
    if (parts[0] === 'keys' && parts.length === 3 && parts[2] === 'rotate' && write) {
      rotate(parts[1]!);
      return readKey(parts[1]!);
    }
    if (parts[0] === 'keys' && parts.length === 3 && parts[2] === 'config' && write) {
      const key = keyOf(parts[1]!);
      if (typeof body.min_decryption_version === 'number') key.minDecryptionVersion = body.min_decryption_version;
      return readKey(parts[1]!);
    }
    throw new VaultError(405, ['1 error occurred:\n\t* unsupported operation\n\n']);
  };

  const reply = (res: ServerResponse, status: number, payload?: unknown) => {
    if (payload === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  };

  const fake: FakeVault = {
    url: '',
    token,
    mount,
    requests: [],
    mode: 'normal',
    createKey: (name, type) => createKey(name, type),
    rotate,
    approle,
    expireLogins: () => loginTokens.clear(),
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://vault').pathname;
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        reply(res, 400, { errors: ['failed to parse JSON input: invalid character'] });
        return;
      }
      const sent = req.headers['x-vault-token'];
      fake.requests.push({ method: req.method ?? '', path, token: typeof sent === 'string' ? sent : undefined, body });
      if (fake.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (fake.mode === 'redirect') {
        res.writeHead(307, { Location: `${fake.redirectTo}${req.url}` }).end();
        return;
      }
      if (path === '/v1/auth/approle/login' && req.method === 'POST') {
        if (body.role_id !== approle.roleId || body.secret_id !== approle.secretId) {
          reply(res, 400, { errors: ['invalid role or secret ID'] });
          return;
        }
        const issued = `hvs.${randomBytes(18).toString('base64url')}`;
        loginTokens.add(issued);
        reply(res, 200, {
          request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: null,
          auth: { client_token: issued, accessor: randomUUID(), policies: ['default'], lease_duration: 3600, renewable: true },
        });
        return;
      }
      if (sent !== token && !(typeof sent === 'string' && loginTokens.has(sent))) {
        reply(res, 403, { errors: ['permission denied'] });
        return;
      }
      try {
        const data = route(req.method ?? 'GET', path, body);
        if (data === null) reply(res, 204);
        else reply(res, 200, { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null });
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        reply(res, err.status, { errors: err.errors });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.after(() => fake.stop());
  return fake;
}
