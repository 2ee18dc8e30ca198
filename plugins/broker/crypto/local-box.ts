/**
 * AES-256-GCM under keys derived with HKDF-SHA256 (RFC 5869) from a master key, one key per purpose, so a key
 * that encrypts grants never encrypts anything else. Each master key has an id (a digest of the key, never the
 * key), stored with every ciphertext: the current key encrypts, older keys listed for rotation only decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Sealed, SecretBox } from '../types.js';

/** NIST SP 800-38D §8.2: a 96-bit random IV; the GCM tag is 128 bits. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HKDF_SALT = Buffer.from('authplane-broker-v1');

export class BrokerKeyError extends Error {
  override readonly name = 'BrokerKeyError';
}

/** A master key as configured: 32 bytes, written as base64url/base64 (43–44 chars) or 64 hex digits. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64url');
  if (key.length !== KEY_BYTES) {
    throw new BrokerKeyError(`${source} must hold a 32-byte key as 64 hex digits or base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`);
  }
  return key;
}

/** The id stored beside a ciphertext: names the master key without revealing anything usable about it. */
export function masterKeyId(key: Buffer): string {
  return `local:${createHash('sha256').update('authplane-broker-key-id').update(key).digest('base64url').slice(0, 16)}`;
}

export class LocalSecretBox implements SecretBox {
  readonly currentKeyId: string;
  readonly #masters = new Map<string, Buffer>();
  readonly #derived = new Map<string, Buffer>();

  /** `current` encrypts; `previous` keys decrypt rows written before a rotation. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    this.currentKeyId = masterKeyId(current);
    this.#masters.set(this.currentKeyId, current);
    for (const key of previous) {
      const id = masterKeyId(key);
      if (!this.#masters.has(id)) this.#masters.set(id, key);
    }
  }

  get keyIds(): string[] {
    return [...this.#masters.keys()];
  }

  #key(keyId: string, purpose: string): Buffer {
    const cacheKey = `${keyId}\u0000${purpose}`;
    let key = this.#derived.get(cacheKey);
    if (!key) {
      const master = this.#masters.get(keyId);
      if (!master) throw new BrokerKeyError(`the ciphertext was made with key ${keyId}, which none of the configured master keys is`);
      key = Buffer.from(hkdfSync('sha256', master, HKDF_SALT, Buffer.from(purpose), KEY_BYTES));
      this.#derived.set(cacheKey, key);
    }
    return key;
  }

  async encrypt(purpose: string, plaintext: string, aad: string): Promise<Sealed> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key(this.currentKeyId, purpose), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentKeyId, ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url') };
  }

  async decrypt(purpose: string, sealed: Sealed, aad: string): Promise<string> {
    const key = this.#key(sealed.keyId, purpose);
    const raw = Buffer.from(sealed.ciphertext, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new BrokerKeyError(`the ciphertext under key ${sealed.keyId} is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // Same key id but not the same key material, or a ciphertext altered or moved to another row.
      throw new BrokerKeyError(`a ciphertext under key ${sealed.keyId} failed to authenticate: wrong master key, or the row was altered`);
    }
  }
}
