/**
 * Options are typed by their schema (test/types/plugin-options.ts checks the types at compile time); at run time
 * `register` gets exactly what that type promises: every default filled in, nested ones too, under the values the
 * factory was given. A field with a default declared optional would make the type lie, so it is refused.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthPlane, definePlugin, Type, type OptionsOf } from 'authplane';
import { basePlugins, tempDir } from '../helpers/server.js';

const schema = Type.Object(
  {
    greeting: Type.String({ default: 'hello' }),
    nested: Type.Object({ depth: Type.Integer({ default: 1 }), width: Type.Integer({ default: 2 }) }, { default: {} }),
    secret: Type.Optional(Type.String({ 'x-secret': true })),
  },
  { additionalProperties: false },
);

test('register receives every default of its schema, nested ones too, under the values the factory was given', (t) => {
  const dir = tempDir(t);
  const received: OptionsOf<typeof schema>[] = [];
  const probe = definePlugin({ name: 'options-probe', schema, register: (_api, options) => void received.push(options) });
  new AuthPlane(
    {
      storage: { sqlite: { path: join(dir, 'auth.db') } },
      signing: { keyPath: join(dir, 'keys') },
      plugins: [...basePlugins(), probe({ nested: { width: 5 } })],
    },
    { env: { AUTHPLANE_OPTIONS_PROBE_GREETING: 'hi' }, logLevel: 'silent' },
  );
  assert.deepEqual(received, [{ greeting: 'hi', nested: { depth: 1, width: 5 } }]);
});

test('an option with a default declared Type.Optional is refused when the plugin is defined, naming the option', () => {
  const define = (properties: Parameters<typeof Type.Object>[0]) => () =>
    definePlugin({ name: 'lying-options', schema: Type.Object(properties), register() {} });
  assert.throws(define({ retries: Type.Optional(Type.Integer({ default: 3 })) }), {
    name: 'TypeError',
    message: "plugin 'lying-options': option 'retries' has a default, so it is always present; declare it without Type.Optional (a required property)",
  });
  assert.throws(define({ login: Type.Object({ lockout: Type.Optional(Type.Integer({ default: 900 })) }, { default: {} }) }), {
    message: /option 'login\.lockout' has a default/,
  });
  // Optional without a default, and a default without Optional, are both fine.
  define({ secret: Type.Optional(Type.String()), retries: Type.Integer({ default: 3 }) })();
});
