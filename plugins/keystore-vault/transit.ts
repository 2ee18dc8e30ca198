/**
 * The few Vault HTTP calls the key store makes (Vault API docs: "Transit - Secrets Engines - HTTP API", "AppRole
 * auth method"): read a key's versions and public keys, create or rotate it, sign with one version, and log in with
 * AppRole. The token is sent only as `X-Vault-Token`, never written to a message.
 */
import { keystoreVaultErrors } from './errors.js';

export type VaultAuth = { token: string } | { roleId: string; secretId: string; approleMount: string };

export interface VaultSettings {
  address: string;
  mount: string;
  keyName: string;
  timeoutMs: number;
  auth: VaultAuth;
}

export type VaultAnswer = { status: number; data?: Record<string, unknown>; auth?: Record<string, unknown>; errors: string[] };

export class VaultClient {
  readonly #base: string;
  #token: string | undefined;
  #loggingIn: Promise<string> | undefined;

  constructor(private readonly settings: VaultSettings) {
    this.#base = settings.address.replace(/\/+$/, '');
    if ('token' in settings.auth) this.#token = settings.auth.token;
  }

  get keyPath(): string {
    return `/v1/${this.settings.mount.replace(/^\/+|\/+$/g, '')}/keys/${encodeURIComponent(this.settings.keyName)}`;
  }

  get signPath(): string {
    return `/v1/${this.settings.mount.replace(/^\/+|\/+$/g, '')}/sign/${encodeURIComponent(this.settings.keyName)}`;
  }

  /**
   * A call with the token; with AppRole, a 403 (the token's TTL ended, or it was revoked) logs in again once and
   * repeats the call.
   */
  async call(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<VaultAnswer> {
    const first = await this.#send(method, path, body, await this.#currentToken());
    if (first.status !== 403 || 'token' in this.settings.auth) return first;
    this.#token = undefined;
    return this.#send(method, path, body, await this.#currentToken());
  }

  /** A failed answer as one line naming what to fix; never the token. */
  failure(what: string, answer: VaultAnswer): Error {
    const said = answer.errors.join('; ') || `HTTP ${answer.status}`;
    if (answer.status === 403) {
      const who = 'token' in this.settings.auth ? 'the token in AUTHPLANE_KEYSTORE_VAULT_TOKEN' : 'the AppRole login';
      return keystoreVaultErrors.DENIED(`Vault at ${this.settings.address} refused ${who} for ${what} (403: ${said})`);
    }
    return keystoreVaultErrors.REQUEST_FAILED(`Vault at ${this.settings.address} refused ${what} (${answer.status}: ${said})`);
  }

  #currentToken(): Promise<string> {
    if (this.#token) return Promise.resolve(this.#token);
    // Concurrent signatures after an expiry share one login.
    this.#loggingIn ??= this.#login().finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  async #login(): Promise<string> {
    const auth = this.settings.auth as Extract<VaultAuth, { roleId: string }>;
    const mount = auth.approleMount.replace(/^\/+|\/+$/g, '');
    const answer = await this.#send('POST', `/v1/auth/${mount}/login`, { role_id: auth.roleId, secret_id: auth.secretId }, undefined);
    const token = answer.auth?.client_token;
    if (answer.status !== 200 || typeof token !== 'string') {
      const said = answer.errors.join('; ') || `HTTP ${answer.status}`;
      throw keystoreVaultErrors.DENIED(
        `Vault at ${this.settings.address} refused the AppRole login with AUTHPLANE_KEYSTORE_VAULT_ROLE_ID and AUTHPLANE_KEYSTORE_VAULT_SECRET_ID (${answer.status}: ${said})`,
      );
    }
    this.#token = token;
    return token;
  }

  async #send(method: string, path: string, body: Record<string, unknown> | undefined, token: string | undefined): Promise<VaultAnswer> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json', Accept: 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
        // A redirect would carry the token wherever it points; Vault's standbys forward requests instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.settings.timeoutMs} ms`
          : ((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
      throw keystoreVaultErrors.UNREACHABLE(`Vault at ${this.settings.address} is unreachable (${method} ${path}): ${reason}`, { cause: err });
    }
    let parsed: { data?: unknown; auth?: unknown; errors?: unknown } = {};
    try {
      parsed = text ? (JSON.parse(text) as typeof parsed) : {};
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    const record = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined);
    return {
      status: response.status,
      data: record(parsed.data),
      auth: record(parsed.auth),
      errors: Array.isArray(parsed.errors) ? parsed.errors.map(String) : [],
    };
  }
}
