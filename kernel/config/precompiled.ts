import type { ValidateFunction } from 'ajv';

/**
 * Config validators compiled at build time, by the fingerprint of the schema they check (see validate.ts).
 * Empty here: `npm run build` (scripts/precompile-config.mjs) generates the kernel's and every built-in plugin's
 * and the bundle carries them in place of this module, so a started server skips ajv's compiler — the largest
 * single cost of a cold start. Run from source, or with a plugin of one's own, the schemas compile at boot.
 */
export const PRECOMPILED: ReadonlyMap<string, ValidateFunction> = new Map();
