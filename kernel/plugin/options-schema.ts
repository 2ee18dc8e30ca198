/**
 * The builders plugins write their schemas with (options, request bodies): TypeBox's, so one declaration is the JSON
 * Schema ajv validates, what docs/configuration.md renders and the TypeScript type `register` receives.
 *
 * A subset, imported by name: TypeBox's whole `Type` namespace costs every bundle ~170 kB, these ~15 kB. Anything
 * else TypeBox builds (a plugin importing 'typebox' itself) works as well, as long as it is plain JSON Schema.
 */
import * as TypeBox from 'typebox';
import type { TObject, TObjectOptions, TOptional, TProperties, TSchema } from 'typebox';
import type { JsonSchema } from '../config/schema.js';

export type { Static, TObject, TSchema } from 'typebox';

/** Every property of `properties` optional (what `TOptional` adds is the same whether or not it was there). */
export type OptionalProperties<P extends TProperties> = { [K in keyof P]: TOptional<P[K]> };

/**
 * The object with every property optional and the object's own keywords kept (`additionalProperties`…), with
 * `options` added — an update body from a create body. TypeBox's own `Partial` is a computed type: ~100 kB.
 */
function Partial<P extends TProperties>(object: TObject<P>, options: TObjectOptions = {}): TObject<OptionalProperties<P>> {
  const { type: _type, properties, required: _required, ...keywords } = object as TObject<P> & Record<string, unknown>;
  const optional = Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, TypeBox.Optional(schema as TSchema)]));
  return TypeBox.Object(optional, { ...keywords, ...options }) as unknown as TObject<OptionalProperties<P>>;
}

export const Type = {
  Object: TypeBox.Object,
  Integer: TypeBox.Integer,
  Number: TypeBox.Number,
  String: TypeBox.String,
  Boolean: TypeBox.Boolean,
  Array: TypeBox.Array,
  Enum: TypeBox.Enum,
  Optional: TypeBox.Optional,
  /** A schema TypeBox has no builder for, with the static type given: `Type.Unsafe<string | null>({ type: ['string', 'null'] })`. */
  Unsafe: TypeBox.Unsafe,
  Partial,
} as const;

/**
 * A TypeBox schema read as the JSON Schema it is (config layers, docs, ajv): TypeBox's types name the keywords of
 * each kind, not every keyword (`x-secret`, `default` of an object…) JsonSchema lets the kernel read.
 */
export function asJsonSchema(schema: TSchema): JsonSchema {
  return schema as JsonSchema;
}
