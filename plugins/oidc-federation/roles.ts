/** The role rules of a provider applied to an ID token's claims: the first rule that matches decides. */
import type { RoleRule } from './schema.js';

function matches(claim: unknown, value: string): boolean {
  if (Array.isArray(claim)) return claim.some((item) => item === value);
  if (typeof claim === 'number' || typeof claim === 'boolean') return String(claim) === value;
  return claim === value;
}

export function roleFor(rules: readonly RoleRule[], claims: Readonly<Record<string, unknown>>): 'admin' | 'user' {
  return rules.find((rule) => matches(claims[rule.claim], rule.value))?.role ?? 'user';
}
