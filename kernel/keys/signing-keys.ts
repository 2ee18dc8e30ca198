/**
 * The signing keys' life in a server: the configured key store opened (once), the ring loaded from it, reloads on
 * request (SIGHUP), on the store's own change signal and on an interval, and the warning when replicas would each
 * sign with keys of their own. AuthPlane holds one of these; what it exposes (`keys`, `keyStore`, `reloadKeys`,
 * `openKeyStore`) reads from here.
 */
import type { Logger } from 'pino';
import type { KernelConfig } from '../config/types.js';
import type { KeyRing, KeyStore, KeyStoreContext, KeyStoreFactory, KeyStoreStatus } from '../contracts.js';
import { BootError } from '../errors.js';
import type { Registry } from '../plugin/registry.js';
import { LoadedKeyRing } from './keyring.js';
import { unsharedKeyStoreWarning } from './shared-store.js';

export class SigningKeys {
  #store: KeyStore | undefined;
  #ring: LoadedKeyRing | undefined;
  #interval: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;

  constructor(
    private readonly config: KernelConfig,
    private readonly stores: Registry<KeyStoreFactory>,
    private readonly log: Logger,
  ) {}

  /** The configured key store, without loading keys into a ring (so nothing is generated). */
  async openStore(context: Omit<KeyStoreContext, 'config'>): Promise<KeyStore> {
    if (!this.#store) {
      const factory = this.stores.get(this.config.signing.keyStore);
      if (!factory) {
        throw new BootError(
          'AP_ERR_KEY_STORE',
          `key store '${this.config.signing.keyStore}' is not registered (enable keystoreKeyfile() or another key store plugin)`,
        );
      }
      this.#store = await factory({ config: this.config, ...context });
    }
    return this.#store;
  }

  /** Loads the ring from the opened store (generating a first key where the store does). */
  async load(): Promise<LoadedKeyRing> {
    this.#ring = await LoadedKeyRing.open(this.#store!, this.config.signing.retiredKeyRetention, this.log.child({ component: 'keys' }));
    return this.#ring;
  }

  get ring(): KeyRing {
    if (!this.#ring) throw new Error('the signing keys are not loaded yet');
    return this.#ring;
  }

  /** The key store in use: its name, where it keeps the keys, and whether replicas share it. */
  get status(): KeyStoreStatus {
    const described = this.#store?.describe?.();
    return {
      name: this.config.signing.keyStore,
      ...(described ? { shared: described.shared, location: described.location } : {}),
      watched: typeof this.#store?.watch === 'function',
    };
  }

  async reload(): Promise<boolean> {
    const ring = this.ring;
    const changed = await ring.reload();
    this.log.info({ changed, kid: ring.currentKid }, 'signing keys reloaded on request');
    return changed;
  }

  /**
   * Follows the store while serving: a rotation by the CLI or another replica is picked up at once when the store
   * can be watched, else at the next interval (which also covers a change a watch missed, e.g. on a network file
   * system). Warns when the database is shared but the keys are not.
   */
  follow(dialect: string | undefined): void {
    const ring = this.#ring!;
    this.#unwatch = this.#store?.watch?.(() => ring.requestReload());
    this.#interval = setInterval(() => ring.requestReload(), this.config.signing.reloadInterval * 1000);
    this.#interval.unref();
    const warning = unsharedKeyStoreWarning(this.status, dialect);
    if (warning) this.log.warn({ key_store: this.status.name, location: this.status.location }, warning);
  }

  /** Stops following the store (first thing on stop: no reload starts while the server shuts down). */
  unfollow(): void {
    clearInterval(this.#interval);
    this.#unwatch?.();
  }

  close(): void {
    this.#ring?.close();
  }
}
