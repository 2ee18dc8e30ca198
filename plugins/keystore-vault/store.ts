import { createPublicKey } from 'node:crypto';
import { jwkThumbprint, TemporarilyUnavailable, type KeyStore, type RemoteKey, type Replicas } from 'authplane';
import { keystoreVaultErrors } from './errors.js';
import type { VaultClient } from './transit.js';

/** The topic replicas announce a rotation on (the table-less Vault store has no trigger to do it). */
const KEYS_TOPIC = 'keys';
const SIGNATURE = /^vault:v(\d+):([A-Za-z0-9_-]+)$/;

interface VersionInfo {
  creation_time?: unknown;
  public_key?: unknown;
}

/**
 * Signing keys as versions of one Transit key of type `ecdsa-p256`. Each version is a key (kid: the RFC 7638
 * thumbprint of its public key); the latest signs, and an older version counts as retired from the moment the next
 * one was created — Vault keeps no retirement of its own, and the key ring stops publishing it after
 * `signing.retiredKeyRetention`.
 */
export function createVaultKeyStore(vault: VaultClient, replicas: Replicas, location: string): KeyStore {
  const versionOf = new Map<string, number>();

  const readKeys = async (): Promise<RemoteKey[] | undefined> => {
    const answer = await vault.call('GET', vault.keyPath);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200 || !answer.data) throw vault.failure(`reading the key at ${vault.keyPath}`, answer);
    if (answer.data.type !== 'ecdsa-p256') {
      throw keystoreVaultErrors.KEY_TYPE(`the Transit key at ${vault.keyPath} is of type ${String(answer.data.type)}; the key store signs ES256 and needs type ecdsa-p256`);
    }
    const versions = Object.entries((answer.data.keys ?? {}) as Record<string, VersionInfo>)
      .map(([version, info]) => ({ version: Number(version), info }))
      .filter((v) => Number.isInteger(v.version) && typeof v.info?.public_key === 'string')
      .sort((a, b) => a.version - b.version);
    const keys: RemoteKey[] = [];
    for (const [i, { version, info }] of versions.entries()) {
      const publicJwk = createPublicKey(info.public_key as string).export({ format: 'jwk' });
      const kid = jwkThumbprint(publicJwk);
      versionOf.set(kid, version);
      const next = versions[i + 1];
      keys.push({
        kid,
        alg: 'ES256',
        publicJwk,
        createdAt: new Date(String(info.creation_time)),
        ...(next ? { retiredAt: new Date(String(next.info.creation_time)) } : {}),
      });
    }
    return keys;
  };

  return {
    async load() {
      return (await readKeys()) ?? [];
    },
    async save() {
      // Never called: a store with `create` makes its own keys, and a private key is never handed to Vault.
      throw keystoreVaultErrors.REQUEST_FAILED('the Vault key store creates its keys in Vault; it cannot store a key made elsewhere');
    },
    async create() {
      const exists = (await readKeys()) !== undefined;
      const answer = exists
        ? await vault.call('POST', `${vault.keyPath}/rotate`, {})
        : await vault.call('POST', vault.keyPath, { type: 'ecdsa-p256', exportable: false });
      if (answer.status >= 300) throw vault.failure(exists ? 'rotating the signing key' : 'creating the signing key', answer);
      const keys = (await readKeys()) ?? [];
      const latest = keys[keys.length - 1];
      if (!latest) throw keystoreVaultErrors.REQUEST_FAILED(`Vault created the key at ${vault.keyPath} but lists no version of it`);
      replicas.notify(KEYS_TOPIC);
      return latest;
    },
    // Retirement is the next version's existence in Vault; nothing to write.
    async markRetired() {},
    async sign(kid, input) {
      const version = versionOf.get(kid);
      try {
        if (version === undefined) throw keystoreVaultErrors.REQUEST_FAILED(`key ${kid} is not a version of the Transit key at ${vault.keyPath}`);
        const answer = await vault.call('POST', vault.signPath, {
          input: input.toString('base64'),
          key_version: version,
          hash_algorithm: 'sha2-256',
          // RFC 7518 §3.4: JWS wants raw r‖s, which Vault gives as base64url with this marshaling.
          marshaling_algorithm: 'jws',
        });
        const match = typeof answer.data?.signature === 'string' ? SIGNATURE.exec(answer.data.signature) : null;
        if (answer.status !== 200 || !match) throw vault.failure('signing', answer);
        return Buffer.from(match[2]!, 'base64url');
      } catch (cause) {
        // The client may retry; the log gets the cause (Vault down, token refused).
        throw new TemporarilyUnavailable('the signing service is unavailable; try again', { cause });
      }
    },
    ...(replicas.shared ? { watch: (onChange: () => void) => replicas.subscribe(KEYS_TOPIC, () => onChange()) } : {}),
    describe: () => ({ shared: true, location }),
  };
}
