/**
 * Builds the broker's SecretBox from its `encryption` option and the server's environment, once, at init: a bad or
 * missing key stops boot with a code naming the variable, never the first vend hours later.
 */
import { brokerCryptoErrors } from './errors.js';
import { isLoopbackIssuer, loadOrCreateDevKey } from './dev-key-file.js';
import { LocalSecretBox, parseMasterKey } from './local-box.js';
import type { EncryptionOptions } from './schema.js';
import { VaultTransitBox } from './vault-transit-box.js';
import type { Sealed, SecretBox } from '../types.js';

export interface SecretBoxContext {
  /** `server.issuer`: a loopback one may use the development key file. */
  issuer: string;
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** For the Vault backend; the global fetch by default. */
  fetch?: typeof fetch;
}

/** What a box is made of, for the boot log line and the CLI: key ids only, never key material or tokens. */
export interface SecretBoxDescription {
  backend: EncryptionOptions['backend'];
  current_key_id: string;
  /** Keys that only decrypt (a rotation under way, or rows from before a move to Vault). */
  decrypt_only_key_ids: string[];
  /** Set when the development key file holds the current key. */
  dev_key_file?: string;
  vault?: { address: string; mount: string; key_name: string };
}

export interface ConfiguredSecretBox extends SecretBox {
  describe(): SecretBoxDescription;
}

type Env = Readonly<Record<string, string | undefined>>;

const KEY_HOWTO = 'make one with `openssl rand -base64 32` and keep a copy safe: without it no stored grant can be read';

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function keyFromEnv(env: Env, name: string): Buffer | undefined {
  const value = env[name];
  if (!present(value)) return undefined;
  try {
    return parseMasterKey(value, name);
  } catch (err) {
    throw brokerCryptoErrors.MASTER_KEY_INVALID(`${(err as Error).message}; ${KEY_HOWTO}`, { cause: err });
  }
}

/** The previous keys that are set; an unset one is the normal state outside a rotation. */
function previousKeys(options: EncryptionOptions, env: Env): Buffer[] {
  return options.previousMasterKeyEnvs.flatMap((name) => keyFromEnv(env, name) ?? []);
}

export async function createSecretBox(options: EncryptionOptions, env: Env, context: SecretBoxContext): Promise<ConfiguredSecretBox> {
  const box = options.backend === 'vault-transit' ? await vaultBox(options, env, context) : await localBox(options, env, context);
  const description = box.describe();
  context.log.info({ ...description }, 'broker encryption ready');
  return box;
}

async function localBox(options: EncryptionOptions, env: Env, context: SecretBoxContext): Promise<ConfiguredSecretBox> {
  const previous = previousKeys(options, env);
  let current = keyFromEnv(env, options.masterKeyEnv);
  let devKeyFile: string | undefined;
  if (!current) {
    if (!isLoopbackIssuer(context.issuer)) {
      throw brokerCryptoErrors.MASTER_KEY_MISSING(
        `${options.masterKeyEnv} is not set: the broker encrypts upstream grants at rest under the 32-byte master key in this variable; ${KEY_HOWTO}`,
      );
    }
    const dev = await loadOrCreateDevKey(options.devKeyFile);
    current = dev.key;
    devKeyFile = dev.path;
    context.log.warn(
      { dev_key_file: dev.path, created: dev.created },
      `${options.masterKeyEnv} is not set: upstream grants are encrypted under the development key in ${dev.path}` +
        `${dev.created ? ' (generated now)' : ''}; set ${options.masterKeyEnv} for anything but local development`,
    );
  }
  const local = new LocalSecretBox(current, previous);
  return Object.assign(local, {
    describe: (): SecretBoxDescription => ({
      backend: 'local',
      current_key_id: local.currentKeyId,
      decrypt_only_key_ids: local.keyIds.filter((id) => id !== local.currentKeyId),
      ...(devKeyFile ? { dev_key_file: devKeyFile } : {}),
    }),
  });
}

async function vaultBox(options: EncryptionOptions, env: Env, context: SecretBoxContext): Promise<ConfiguredSecretBox> {
  const { address, mount, keyName, tokenEnv, timeoutMs } = options.vault;
  let url: URL | undefined;
  try {
    url = new URL(address);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    // Credentials in the URL are not repeated into a log line.
    const given = address === '' ? 'nothing' : url?.username || url?.password ? 'a URL with credentials' : `'${address}'`;
    throw brokerCryptoErrors.VAULT_CONFIG_INVALID(
      `broker.encryption.vault.address must be Vault's http(s) base URL without credentials, query or fragment (e.g. https://vault.internal:8200), got ${given}`,
    );
  }
  const token = env[tokenEnv];
  if (!present(token)) {
    throw brokerCryptoErrors.VAULT_TOKEN_MISSING(`${tokenEnv} is not set: the Vault Transit backend sends this token to Vault at ${address}`);
  }
  const vault = await VaultTransitBox.connect({ address: url.href.replace(/\/+$/, ''), mount, keyName, token: token.trim(), tokenEnv, timeoutMs }, context.fetch);
  // Rows written under master keys before the move to Vault stay readable until reencrypt has moved them.
  const localKeys = [keyFromEnv(env, options.masterKeyEnv), ...previousKeys(options, env)].filter((k): k is Buffer => k !== undefined);
  const local = localKeys.length ? new LocalSecretBox(localKeys[0]!, localKeys.slice(1)) : undefined;
  const decrypt = (purpose: string, sealed: Sealed, aad: string): Promise<string> => {
    if (vault.owns(sealed.keyId) || !local?.keyIds.includes(sealed.keyId)) return vault.decrypt(purpose, sealed, aad);
    return local.decrypt(purpose, sealed, aad);
  };
  const box: ConfiguredSecretBox = {
    get currentKeyId() {
      return vault.currentKeyId;
    },
    encrypt: (purpose, plaintext, aad) => vault.encrypt(purpose, plaintext, aad),
    decrypt,
    describe: () => ({
      backend: 'vault-transit',
      current_key_id: vault.currentKeyId,
      decrypt_only_key_ids: local?.keyIds ?? [],
      vault: { address, mount, key_name: keyName },
    }),
  };
  return box;
}
