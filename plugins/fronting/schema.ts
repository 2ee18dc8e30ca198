/** The shape of a fronting link as the admin API and the CLI write it; rules between fields in operations.ts. */
import { Type, type Static } from 'authplane';

// RFC 6749 §3.3 scope-token, as the resources plugin stores scope names.
const scopeToken = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });
const resourceRef = (which: string) =>
  Type.String({ minLength: 1, maxLength: 2048, description: `The ${which} resource: its id, slug or URI.` });

export const createLinkSchema = Type.Object(
  {
    source: resourceRef('source'),
    target: resourceRef('target'),
    // A map with scope names as keys: JSON Schema `propertyNames` + `additionalProperties` (no builder in the subset).
    scope_map: Type.Unsafe<Record<string, string[]>>({
      type: 'object',
      propertyNames: scopeToken,
      additionalProperties: Type.Array(scopeToken, { minItems: 1, maxItems: 100, uniqueItems: true }),
      minProperties: 1,
      maxProperties: 100,
      description: 'Source scope → the target scopes a token carrying it may be exchanged for.',
    }),
  },
  { additionalProperties: false },
);

export type LinkCreate = Static<typeof createLinkSchema>;
