/**
 * A SecretBox over HashiCorp Vault's Transit secrets engine: Vault holds the key and does AES-GCM; the database
 * keeps Vault's ciphertext (`vault:v<N>:…`) under the key id `vault:<keyName>:v<N>`, so a rotation in Vault shows
 * in each row and `authserver admin reencrypt` finds the rows still under an older version.
 *
 * The row binding travels as Transit's `associated_data` (Vault ≥ 1.12, AEAD key types only), prefixed with the
 * purpose: one Transit key serves every purpose, and a ciphertext made for one purpose or row fails for another.
 */
import { brokerCryptoErrors } from './errors.js';
import { BrokerKeyError } from './local-box.js';
import type { Sealed, SecretBox } from '../types.js';

export interface VaultTransitSettings {
  /** Base URL, no trailing slash needed. */
  address: string;
  mount: string;
  keyName: string;
  token: string;
  /** Where the token came from, for messages (the token itself never appears in one). */
  tokenEnv: string;
  timeoutMs: number;
}

const CIPHERTEXT = /^vault:v(\d+):[A-Za-z0-9+/=]+$/;
const KEY_ID = /^vault:(.+):v(\d+)$/;
/** Versioned so a later change of the binding's layout can tell old ciphertexts apart. */
const AD_LABEL = 'authplane-broker-v1';

type VaultAnswer = { ok: true; data: Record<string, unknown> } | { ok: false; status: number; errors: string[] };

export class VaultTransitBox implements SecretBox {
  readonly #settings: VaultTransitSettings;
  readonly #fetch: typeof fetch;
  readonly #base: string;
  #latestVersion = 0;

  constructor(settings: VaultTransitSettings, fetchImpl: typeof fetch = fetch) {
    this.#settings = settings;
    this.#fetch = fetchImpl;
    this.#base = `${settings.address.replace(/\/+$/, '')}/v1/${settings.mount.replace(/^\/+|\/+$/g, '')}`;
  }

  /**
   * Checks the token, the key and its type with one encrypt and decrypt — the two capabilities the box needs and
   * nothing more — and learns the key's latest version from the answer.
   */
  static async connect(settings: VaultTransitSettings, fetchImpl: typeof fetch = fetch): Promise<VaultTransitBox> {
    const box = new VaultTransitBox(settings, fetchImpl);
    const probe = await box.encrypt('vault_probe', 'probe', 'authplane');
    await box.decrypt('vault_probe', probe, 'authplane');
    return box;
  }

  /** The version the last encryption used: Vault encrypts under its key's latest version. */
  get currentKeyId(): string {
    return this.keyIdOf(this.#latestVersion);
  }

  get keyName(): string {
    return this.#settings.keyName;
  }

  keyIdOf(version: number): string {
    return `vault:${this.#settings.keyName}:v${version}`;
  }

  /** Whether a key id names a version of this box's Transit key (whether Vault still decrypts it is Vault's call). */
  owns(keyId: string): boolean {
    return KEY_ID.exec(keyId)?.[1] === this.#settings.keyName;
  }

  async encrypt(purpose: string, plaintext: string, aad: string): Promise<Sealed> {
    const answer = await this.#post('encrypt', {
      plaintext: Buffer.from(plaintext, 'utf8').toString('base64'),
      associated_data: associatedData(purpose, aad),
    });
    if (!answer.ok) throw this.#failure('encrypt', answer);
    const ciphertext = answer.data.ciphertext;
    const version = typeof ciphertext === 'string' ? CIPHERTEXT.exec(ciphertext)?.[1] : undefined;
    if (version === undefined) {
      throw brokerCryptoErrors.VAULT_REQUEST_FAILED(`Vault at ${this.#settings.address} answered encrypt without a vault:v<N>: ciphertext`);
    }
    this.#latestVersion = Math.max(this.#latestVersion, Number(version));
    return { keyId: this.keyIdOf(Number(version)), ciphertext: ciphertext as string };
  }

  async decrypt(purpose: string, sealed: Sealed, aad: string): Promise<string> {
    const named = KEY_ID.exec(sealed.keyId);
    if (!named || named[1] !== this.#settings.keyName) {
      throw new BrokerKeyError(`the ciphertext was made with key ${sealed.keyId}, which is not a version of the Vault Transit key ${this.#settings.keyName}`);
    }
    if (CIPHERTEXT.exec(sealed.ciphertext)?.[1] !== named[2]) {
      throw new BrokerKeyError(`the ciphertext stored under key ${sealed.keyId} is not a Vault ciphertext of that version`);
    }
    const answer = await this.#post('decrypt', { ciphertext: sealed.ciphertext, associated_data: associatedData(purpose, aad) });
    if (!answer.ok) {
      const said = answer.errors.join('; ');
      // A 400 about this ciphertext is the row's problem (reencrypt counts it and goes on); anything else is Vault's.
      if (answer.status === 400 && /authentication failed|too old|disallowed by policy|invalid key version|invalid ciphertext/i.test(said)) {
        throw new BrokerKeyError(`a ciphertext under key ${sealed.keyId} failed to decrypt in Vault: ${this.#scrub(said)} (wrong key version, or the row was altered)`);
      }
      throw this.#failure('decrypt', answer);
    }
    const plaintext = answer.data.plaintext;
    if (typeof plaintext !== 'string') {
      throw brokerCryptoErrors.VAULT_REQUEST_FAILED(`Vault at ${this.#settings.address} answered decrypt without a plaintext`);
    }
    return Buffer.from(plaintext, 'base64').toString('utf8');
  }

  async #post(operation: 'encrypt' | 'decrypt', body: Record<string, unknown>): Promise<VaultAnswer> {
    const { address, keyName, token, timeoutMs } = this.#settings;
    const what = `${operation} with key ${keyName}`;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.#base}/${operation}/${encodeURIComponent(keyName)}`, {
        method: 'POST',
        headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        // A redirect would carry the token to wherever it points; Vault's standbys forward requests instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : this.#scrub(networkReason(err));
      throw brokerCryptoErrors.VAULT_UNREACHABLE(`Vault at ${address} is unreachable (${what}): ${reason}`, { cause: err });
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      throw brokerCryptoErrors.VAULT_REQUEST_FAILED(
        `Vault at ${address} answered ${what} with a redirect (${response.status}${location ? ` to ${this.#scrub(location)}` : ''}), which is not followed: set vault.address to the address that serves requests`,
      );
    }
    let parsed: { data?: unknown; errors?: unknown } = {};
    try {
      parsed = text ? (JSON.parse(text) as typeof parsed) : {};
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    if (response.ok && typeof parsed.data === 'object' && parsed.data !== null) {
      return { ok: true, data: parsed.data as Record<string, unknown> };
    }
    const errors = Array.isArray(parsed.errors) ? parsed.errors.map(String) : [];
    return { ok: false, status: response.status, errors: errors.length ? errors : [`HTTP ${response.status}`] };
  }

  #failure(operation: string, answer: Extract<VaultAnswer, { ok: false }>): Error {
    const { address, keyName, tokenEnv, mount } = this.#settings;
    const said = this.#scrub(answer.errors.join('; '));
    if (answer.status === 403) {
      return brokerCryptoErrors.VAULT_DENIED(
        `Vault at ${address} refused the token from ${tokenEnv} for ${operation} with key ${keyName} (403: ${said}); it needs update on ${mount}/encrypt/${keyName} and ${mount}/decrypt/${keyName}`,
      );
    }
    return brokerCryptoErrors.VAULT_REQUEST_FAILED(`Vault at ${address} refused ${operation} with key ${keyName} (${answer.status}: ${said})`);
  }

  /** Whatever Vault or a proxy in front of it said, without the token, should one of them echo it. */
  #scrub(text: string): string {
    return this.#settings.token ? text.split(this.#settings.token).join('[token]') : text;
  }
}

function associatedData(purpose: string, aad: string): string {
  return Buffer.from(`${AD_LABEL}\u0000${purpose}\u0000${aad}`, 'utf8').toString('base64');
}

/** undici reports a refused connection as `fetch failed` with the system error (`connect ECONNREFUSED …`) as cause. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.message || cause?.code || (err as Error).message;
}
