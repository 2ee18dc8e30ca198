import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { KeyRing, KeyStore, PublicKeyInfo, RemoteKey, StoredKey } from '../contracts.js';
import { BootError } from '../errors.js';
import { generateEs256Key, importPrivateJwk, publicJwk, signCompactEs256 } from './es256.js';

interface LoadedKey {
  stored: StoredKey | RemoteKey;
  /** Absent for a key whose store signs (Vault Transit). */
  privateKey?: KeyObject;
  publicKey: KeyObject;
}

/**
 * The signing keys in memory. The newest unretired key signs; a rotated-out key stays published in the JWKS for
 * `retention` seconds — longer than any token may live — so every token it signed can still be verified.
 */
export class LoadedKeyRing implements KeyRing {
  #keys = new Map<string, LoadedKey>();
  #current!: LoadedKey;
  #jwks!: { body: Buffer; etag: string };
  #headers = new Map<string, string>();
  #listeners: (() => void)[] = [];
  #expiryTimer: NodeJS.Timeout | undefined;
  #reloading = false;
  #reloadAgain = false;

  private constructor(
    private readonly store: KeyStore,
    private readonly retentionMs: number,
    private readonly log: Logger,
  ) {}

  static async open(store: KeyStore, retentionSeconds: number, log: Logger): Promise<LoadedKeyRing> {
    const ring = new LoadedKeyRing(store, retentionSeconds * 1000, log);
    let stored: (StoredKey | RemoteKey)[];
    try {
      stored = await store.load();
    } catch (cause) {
      // A store that already says what to fix (a BootError naming its setting) is passed through as it is.
      if (cause instanceof BootError) throw cause;
      throw new BootError('AP_ERR_KEY_STORE', `cannot load signing keys: ${(cause as Error).message}`, { cause });
    }
    for (const key of stored) ring.#add(key);
    const active = stored.filter((k) => !k.retiredAt).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    if (active.length === 0) {
      const created = await ring.#create();
      log.info({ kid: created.stored.kid }, 'signing key generated');
    } else {
      ring.#current = ring.#keys.get(active[0]!.kid)!;
    }
    ring.#rebuild();
    return ring;
  }

  get currentKid(): string {
    return this.#current.stored.kid;
  }

  sign(header: Record<string, unknown>, claims: Record<string, unknown>): string | Promise<string> {
    const kid = this.#current.stored.kid;
    const cacheKey = `${kid}\u0000${header.typ ?? ''}`;
    let encoded = this.#headers.get(cacheKey);
    if (!encoded) {
      encoded = Buffer.from(JSON.stringify(Object.assign({}, header, { alg: 'ES256', kid }))).toString('base64url');
      this.#headers.set(cacheKey, encoded);
    }
    const { privateKey } = this.#current;
    if (privateKey) return signCompactEs256(encoded, claims, privateKey);
    return this.#signRemotely(kid, encoded, claims);
  }

  async #signRemotely(kid: string, encodedHeader: string, claims: Record<string, unknown>): Promise<string> {
    const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = await this.store.sign!(kid, Buffer.from(signingInput));
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.#keys.get(kid)?.publicKey;
  }

  list(): PublicKeyInfo[] {
    return [...this.#keys.values()]
      .map(({ stored }) => ({
        kid: stored.kid,
        alg: stored.alg,
        createdAt: stored.createdAt,
        retiredAt: stored.retiredAt,
        publishedUntil: stored.retiredAt ? new Date(stored.retiredAt.getTime() + this.retentionMs) : undefined,
        current: stored.kid === this.#current.stored.kid,
      }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async rotate(): Promise<PublicKeyInfo> {
    const previous = this.#current;
    const created = await this.#create();
    const retiredAt = new Date();
    await this.store.markRetired(previous.stored.kid, retiredAt);
    previous.stored = Object.assign({}, previous.stored, { retiredAt });
    this.#headers.clear();
    this.#rebuild();
    this.log.info({ kid: created.stored.kid, previous_kid: previous.stored.kid }, 'signing key rotated');
    return this.list().find((k) => k.kid === created.stored.kid)!;
  }

  /**
   * Picks up keys another process wrote to the store (`authserver admin key rotate`, another replica's rotation):
   * new keys are added, retirements applied, and the newest unretired key signs. Nothing changes when nothing did.
   */
  async reload(): Promise<boolean> {
    const stored = await this.store.load();
    let changed = false;
    for (const key of stored) {
      const known = this.#keys.get(key.kid);
      if (!known) {
        this.#add(key);
        changed = true;
      } else if (key.retiredAt && !known.stored.retiredAt) {
        known.stored = Object.assign({}, known.stored, { retiredAt: key.retiredAt });
        changed = true;
      }
    }
    const newest = [...this.#keys.values()]
      .filter((k) => !k.stored.retiredAt)
      .sort((a, b) => b.stored.createdAt.getTime() - a.stored.createdAt.getTime())[0];
    if (newest && newest !== this.#current) {
      this.#current = newest;
      this.#headers.clear();
      changed = true;
    }
    if (changed) {
      this.#rebuild();
      this.log.info({ kid: this.#current.stored.kid }, 'signing keys reloaded from the key store');
    }
    return changed;
  }

  /**
   * Reloads now, or — when a reload is running — once more right after it: a rotation writes the new key and then
   * the old key's retirement, and the last change must not be missed.
   */
  requestReload(): void {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return;
    }
    this.#reloading = true;
    void this.reload()
      .catch((err: unknown) => this.log.error({ err }, 'signing key reload failed'))
      .finally(() => {
        this.#reloading = false;
        if (this.#reloadAgain) {
          this.#reloadAgain = false;
          this.requestReload();
        }
      });
  }

  jwks(): { body: Buffer; etag: string } {
    return this.#jwks;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  close(): void {
    clearTimeout(this.#expiryTimer);
  }

  async #create(): Promise<LoadedKey> {
    let stored: StoredKey | RemoteKey;
    try {
      if (this.store.create) {
        stored = await this.store.create();
      } else {
        const { privateJwk, kid } = generateEs256Key();
        stored = { kid, alg: 'ES256', privateJwk, createdAt: new Date() };
        await this.store.save(stored);
      }
    } catch (cause) {
      if (cause instanceof BootError) throw cause;
      throw new BootError('AP_ERR_KEY_STORE', `cannot save signing key: ${(cause as Error).message}`, { cause });
    }
    const loaded = this.#add(stored);
    this.#current = loaded;
    return loaded;
  }

  #add(stored: StoredKey | RemoteKey): LoadedKey {
    const keys = 'privateJwk' in stored
      ? importPrivateJwk(stored.privateJwk)
      : { publicKey: createPublicKey({ key: stored.publicJwk, format: 'jwk' }) };
    const loaded: LoadedKey = { stored, ...keys };
    this.#keys.set(stored.kid, loaded);
    return loaded;
  }

  /** Serializes the JWKS once per change and schedules the next change: the oldest retired key falling out. */
  #rebuild(): void {
    const now = Date.now();
    const published = [...this.#keys.values()].filter(
      ({ stored }) => !stored.retiredAt || stored.retiredAt.getTime() + this.retentionMs > now,
    );
    published.sort((a, b) => b.stored.createdAt.getTime() - a.stored.createdAt.getTime());
    const body = Buffer.from(JSON.stringify({ keys: published.map((k) => publicJwk(k.stored.kid, k.publicKey)) }));
    this.#jwks = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    clearTimeout(this.#expiryTimer);
    const nextExpiry = Math.min(
      ...published.filter((k) => k.stored.retiredAt).map((k) => k.stored.retiredAt!.getTime() + this.retentionMs),
    );
    if (Number.isFinite(nextExpiry)) {
      // setTimeout holds at most ~24.8 days; a later expiry is re-checked then.
      this.#expiryTimer = setTimeout(() => this.#rebuild(), Math.min(nextExpiry - now + 10, 2 ** 31 - 1));
      this.#expiryTimer.unref();
    }
    for (const listener of this.#listeners) listener();
  }
}
