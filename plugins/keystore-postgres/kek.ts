/**
 * Key-encryption keys: AES-256-GCM (NIST SP 800-38D) seals each private key. The current KEK seals; previous ones
 * only open, so a KEK can be replaced without a moment where some replica cannot read the keys (docs/keys.md).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { keystorePostgresErrors } from './errors.js';

export const KEK_VARIABLE = 'AUTHPLANE_KEYSTORE_POSTGRES_KEK';
export const PREVIOUS_KEK_VARIABLE = 'AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS';

/** SP 800-38D §8.2.2: a random 96-bit nonce per message; a KEK seals a handful of keys, far below the bound. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Kek {
  id: string;
  key: Buffer;
}

/** A KEK's id: a digest of it, so a row names the KEK that sealed it and an operator can compare without seeing it. */
function kekId(key: Buffer): string {
  return createHash('sha256').update('authplane-kek\u0000').update(key).digest('base64url').slice(0, 16);
}

function parseKek(value: string, variable: string): Kek {
  const text = value.trim();
  // base64 (openssl rand -base64 32) or base64url: the same 32 bytes either way.
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw keystorePostgresErrors.KEK_INVALID(
      `${variable} must be 32 random bytes in base64 or base64url (e.g. \`openssl rand -base64 32\`), got ${key.length === 0 ? 'something else' : `${key.length} bytes`}`,
    );
  }
  return { id: kekId(key), key };
}

export class KeyEncryptionKeys {
  readonly current: Kek;
  readonly #byId = new Map<string, Kek>();

  constructor(current: string | undefined, previous: string | undefined) {
    if (!current?.trim()) {
      throw keystorePostgresErrors.KEK_MISSING(
        `signing.keyStore is 'postgres' but ${KEK_VARIABLE} is not set: give it 32 random bytes in base64 (\`openssl rand -base64 32\`), the same on every replica`,
      );
    }
    this.current = parseKek(current, KEK_VARIABLE);
    this.#byId.set(this.current.id, this.current);
    for (const part of (previous ?? '').split(',').filter((p) => p.trim())) {
      const kek = parseKek(part, PREVIOUS_KEK_VARIABLE);
      if (!this.#byId.has(kek.id)) this.#byId.set(kek.id, kek);
    }
  }

  seal(kid: string, plaintext: Buffer): { kekId: string; sealed: string } {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    // The kid as additional data: a sealed key copied onto another row does not open there.
    cipher.setAAD(Buffer.from(kid));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { kekId: this.current.id, sealed: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url') };
  }

  open(kid: string, kekIdOfRow: string, sealed: string): Buffer {
    const kek = this.#byId.get(kekIdOfRow);
    if (!kek) {
      throw keystorePostgresErrors.KEK_UNKNOWN(
        `signing key ${kid} was sealed with a key-encryption key this server does not have (id ${kekIdOfRow}; ` +
          `this server has ${[...this.#byId.keys()].join(', ')}) — set it in ${KEK_VARIABLE} or ${PREVIOUS_KEK_VARIABLE}`,
      );
    }
    const raw = Buffer.from(sealed, 'base64url');
    try {
      if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', kek.key, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(kid));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch (cause) {
      throw keystorePostgresErrors.KEY_CORRUPT(`signing key ${kid} does not open with key-encryption key ${kek.id}: the row was altered or copied`, { cause });
    }
  }
}
