/** Shared bits of the broker encryption tests (crypto, reencrypt, Vault Transit): keys, a log that records, grant rows sealed with a real box. */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { uuidv7 } from 'authplane';
import { sealGrant } from '../../../plugins/broker/crypto/grant-seal.js';
import { encryptionOptionsSchema, type EncryptionOptions } from '../../../plugins/broker/crypto/schema.js';
import type { SecretBox } from '../../../plugins/broker/types.js';

export const STORAGES = ['sqlite', 'postgres'] as const;

/** A master key as an operator makes one (`openssl rand -base64 32`). */
export const newMasterKey = (): string => randomBytes(32).toString('base64');

export interface RecordedLog {
  lines: { level: 'info' | 'warn'; fields: object; message: string }[];
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export function recordingLog(): RecordedLog {
  const lines: RecordedLog['lines'] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  };
}

/** The option with its schema defaults, then `overrides` — what the kernel hands the plugin. */
export function encryptionOptions(overrides: Partial<Omit<EncryptionOptions, 'vault'>> & { vault?: Partial<EncryptionOptions['vault']> } = {}): EncryptionOptions {
  const vaultDefaults = Object.fromEntries(
    Object.entries(encryptionOptionsSchema.properties.vault.properties).map(([k, s]) => [k, (s as unknown as { default: unknown }).default]),
  ) as EncryptionOptions['vault'];
  const defaults = Object.fromEntries(
    Object.entries(encryptionOptionsSchema.properties)
      .filter(([k]) => k !== 'vault')
      .map(([k, s]) => [k, (s as unknown as { default: unknown }).default]),
  ) as Omit<EncryptionOptions, 'vault'>;
  return { ...defaults, ...overrides, vault: { ...vaultDefaults, ...overrides.vault } } as EncryptionOptions;
}

export interface GrantRow {
  id: string;
  user_id: string;
  provider_id: string;
  version: number;
  key_id: string;
  ciphertext: string;
}

/** Inserts a grant row as the connect flow writes one: its tokens sealed under `box`, bound to (user, provider). */
export async function insertGrant(db: Knex, box: SecretBox, userId: string, providerId: string, plaintext: string): Promise<GrantRow> {
  const sealed = await sealGrant(box, { user_id: userId, provider_id: providerId }, plaintext);
  const now = Date.now();
  const row = { id: uuidv7(), user_id: userId, provider_id: providerId, version: 1, key_id: sealed.keyId, ciphertext: sealed.ciphertext };
  await db('broker_grants').insert({
    ...row,
    scopes: JSON.stringify(['repo']),
    access_expires_at: now + 3_600_000,
    has_refresh_token: true,
    created_at: now,
    updated_at: now,
  });
  return row;
}

export async function grantRows(db: Knex): Promise<GrantRow[]> {
  const rows = await db('broker_grants').select('id', 'user_id', 'provider_id', 'version', 'key_id', 'ciphertext').orderBy('id');
  return rows.map((r: GrantRow) => ({ ...r, version: Number(r.version) }));
}
