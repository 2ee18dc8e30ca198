/**
 * `authserver admin reencrypt`: moves every broker grant to the current encryption key, on the database directly
 * (the server may keep running). Exit 1 when a row failed to decrypt, so a rotation script stops before the old key
 * is dropped.
 */
import { booted, JSON_OPTION, printRecord, type RegisterApi } from 'authplane';
import { brokerCryptoErrors } from './crypto/errors.js';
import type { SecretBox } from './types.js';
import { DEFAULT_REENCRYPT_BATCH, reencryptGrants } from './reencrypt.js';

const MAX_BATCH = 10_000;

function batchSize(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_REENCRYPT_BATCH;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_BATCH)) {
    throw brokerCryptoErrors.REENCRYPT_USAGE(`--batch-size must be a whole number from 1 to ${MAX_BATCH}, got '${String(value)}'`);
  }
  return n;
}

/** `getBox` is called after boot: the box is built in the plugin's init (it may read a key file or ask Vault). */
export function registerReencryptCommand(api: RegisterApi, getBox: () => SecretBox | Promise<SecretBox>): void {
  api.registries.cliCommands.register('admin reencrypt', {
    description: 'Rewrite every broker grant not under the current encryption key (resumable; exit 1 when a row fails to decrypt)',
    options: {
      'batch-size': { type: 'string', description: `Rows per batch (default ${DEFAULT_REENCRYPT_BATCH})` },
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const size = batchSize(options['batch-size']);
      const result = await reencryptGrants(api.runtime().db, await getBox(), { batchSize: size });
      if (options.json === true) {
        printRecord(out, true, result);
      } else {
        const { failures, ...counts } = result;
        printRecord(out, false, counts);
        for (const failure of failures) out(`failed ${failure.id} (key ${failure.key_id}): ${failure.error}`);
      }
      return result.failed > 0 ? 1 : 0;
    }),
  });
}
