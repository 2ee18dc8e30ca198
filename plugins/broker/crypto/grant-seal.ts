/**
 * How a broker grant's tokens are sealed into its `broker_grants` row. Every reader and writer of the column goes
 * through these, so the connect flow, the vend refresh and `authserver admin reencrypt` agree on the purpose and on
 * the row binding.
 */
import type { Sealed, SecretBox, UpstreamTokens } from '../types.js';

/** The HKDF purpose (local backend) / part of the associated data (Vault): grant keys encrypt nothing else. */
export const GRANT_PURPOSE = 'broker_grant';

/** The row a grant ciphertext belongs to: (user, provider) is unique, so a ciphertext copied elsewhere fails. */
export interface GrantRowIdentity {
  user_id: string;
  provider_id: string;
}

export function grantAad(row: GrantRowIdentity): string {
  return `broker_grants/${row.user_id}/${row.provider_id}`;
}

export function sealGrant(box: SecretBox, row: GrantRowIdentity, plaintext: string): Promise<Sealed> {
  return box.encrypt(GRANT_PURPOSE, plaintext, grantAad(row));
}

/** Throws BrokerKeyError when the row's key is not configured or the ciphertext does not belong to the row. */
export function openGrant(box: SecretBox, row: GrantRowIdentity & { key_id: string; ciphertext: string }): Promise<string> {
  return box.decrypt(GRANT_PURPOSE, { keyId: row.key_id, ciphertext: row.ciphertext }, grantAad(row));
}

export function sealGrantTokens(box: SecretBox, row: GrantRowIdentity, tokens: UpstreamTokens): Promise<Sealed> {
  return sealGrant(box, row, JSON.stringify(tokens));
}

export async function openGrantTokens(
  box: SecretBox,
  row: GrantRowIdentity & { key_id: string; ciphertext: string },
): Promise<UpstreamTokens> {
  return JSON.parse(await openGrant(box, row)) as UpstreamTokens;
}
