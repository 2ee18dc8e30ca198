/**
 * Compile-time checks of `definePlugin`'s options type, run by `tsc --noEmit` (part of `npm test`): every
 * `@ts-expect-error` below must be an error, or the compile fails. The options `register` receives are the schema's
 * static type, fields with a default present; the factory takes any part of them; no schema, no options.
 */
import { definePlugin, Type, type OptionsOf } from 'authplane';

const schema = Type.Object(
  {
    greeting: Type.String({ default: 'hello' }),
    retries: Type.Integer({ minimum: 0, default: 3 }),
    mode: Type.Enum(['fast', 'safe'], { type: 'string', default: 'safe' }),
    nested: Type.Object({ depth: Type.Integer({ default: 1 }) }, { default: {} }),
    secret: Type.Optional(Type.String({ 'x-secret': true })),
  },
  { additionalProperties: false },
);

export const typed = definePlugin({
  name: 'typed-options',
  schema,
  register(_api, options) {
    // Fields with a default are present.
    const greeting: string = options.greeting;
    const retries: number = options.retries + 1;
    const mode: 'fast' | 'safe' = options.mode;
    const depth: number = options.nested.depth;
    // A field without a default may be missing.
    const secret: string | undefined = options.secret;
    // @ts-expect-error -- an optional field is not a string until checked
    const unchecked: string = options.secret;
    // @ts-expect-error -- the schema defines no such option
    void options.greting;
    // @ts-expect-error -- a number option used as a string
    const wrong: string = options.retries;
    // @ts-expect-error -- an enum option is only its values
    const other: 'slow' = options.mode;
    // @ts-expect-error -- options are read-only
    options.retries = 4;
    void [greeting, retries, mode, depth, secret, unchecked, wrong, other];
  },
});

// The factory takes any part of the options, nested objects partly too…
typed();
typed({ retries: 5, nested: {} });
// @ts-expect-error -- …but no option the schema does not define
typed({ retry: 5 });
// @ts-expect-error -- …and no value of the wrong type
typed({ retries: '5' });
// @ts-expect-error -- …nor outside the enum
typed({ mode: 'slow' });

export const bare = definePlugin({
  name: 'no-options',
  register(_api, options) {
    // @ts-expect-error -- a plugin without a schema has no options
    const anything: string = options.anything;
    void anything;
  },
});
bare();
// @ts-expect-error -- so its factory takes none
bare({ anything: 'x' });

// The derived type is what other modules import under the plugin's options name.
type TypedOptions = OptionsOf<typeof schema>;
export const example: TypedOptions = { greeting: 'hi', retries: 0, mode: 'fast', nested: { depth: 2 } };
// @ts-expect-error -- a field with a default is required in the derived type
export const incomplete: TypedOptions = { greeting: 'hi' };

// A plain JSON Schema object is not a plugin schema: the options type could not be derived from it.
definePlugin({
  name: 'plain-schema',
  // @ts-expect-error -- not built with Type
  schema: { type: 'object', properties: { a: { type: 'string' } } },
  register() {},
});
