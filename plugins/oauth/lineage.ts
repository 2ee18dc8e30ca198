import type { OAuthState } from './context.js';

/**
 * What the oauth plugin's access tokens rest on (GrantTokenInput.grantRef): a client that may refresh gets a
 * refresh family, and every access token of that family rests on it; a client that may not rests on the user's
 * consent directly. Revoking either revokes, through the kernel's lineage, every token exchanged from them too.
 */
export const familyRef = (familyId: string): string => `family:${familyId}`;
export const consentRef = (consentId: string): string => `consent:${consentId}`;

/** Revokes every access token of the families, and every token derived from them; returns how many. */
export async function revokeFamilyLineages(state: OAuthState, familyIds: readonly string[], reason: string): Promise<number> {
  let revoked = 0;
  for (const id of familyIds) revoked += await state.runtime().tokens.revokeLineage({ grantRef: familyRef(id) }, reason);
  return revoked;
}
