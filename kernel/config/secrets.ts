/**
 * The one rule for secrets read from the environment, whoever reads them: the kernel (the admin API key) and the
 * plugins that hold secrets of their own (the oauth plugin's session secret). A non-localhost issuer must have a
 * strong one; on localhost the server still starts, so `npm start` works with nothing set.
 */
import { randomBytes } from 'node:crypto';

/** Values nobody should deploy with; refused for a non-localhost issuer. */
const OBVIOUS_SECRETS = new Set(['changeme', 'change-me', 'secret', 'password', 'admin', 'test', 'default', 'example']);

export function isLocalIssuer(issuer: string): boolean {
  try {
    const host = new URL(issuer).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
  } catch {
    return false;
  }
}

export function isObviousSecret(value: string): boolean {
  const lower = value.toLowerCase();
  return OBVIOUS_SECRETS.has(lower) || /^(.)\1+$/.test(value) || /^(0123456789|1234567890|abcdef)/.test(lower);
}

export type EnvironmentSecret =
  /** `warning`: a weak or (then `ephemeral`) missing secret on a localhost issuer, to log when serving. */
  | { secret: string; ephemeral: boolean; warning?: string }
  /** Why a non-localhost issuer cannot start with it; the caller throws its own code. */
  | { problem: string };

/**
 * Checks the secret in environment variable `name`: on a non-localhost issuer it must be set, at least `minLength`
 * characters and not an obvious value; on localhost a weak one is a warning and a missing one becomes a random
 * value for this process only (so whatever it protects ends on restart and is not shared between replicas).
 */
export function environmentSecret(name: string, value: string | undefined, issuer: string, minLength: number): EnvironmentSecret {
  const local = isLocalIssuer(issuer);
  if (value === undefined) {
    if (!local) return { problem: `${name}: is required for a non-localhost issuer` };
    return { secret: randomBytes(32).toString('base64url'), ephemeral: true, warning: `${name} is not set: using an ephemeral secret` };
  }
  if (value.length < minLength || isObviousSecret(value)) {
    const why = `${name}: must be at least ${minLength} characters and not an obvious value`;
    return local ? { secret: value, ephemeral: false, warning: why } : { problem: why };
  }
  return { secret: value, ephemeral: false };
}
