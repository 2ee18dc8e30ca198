/**
 * Build step (run by scripts/bundle.mjs through tsx): compiles the config validators of the kernel and of every
 * built-in plugin to standalone JavaScript with ajv, written to the file given as argv[2]. The bundle puts that
 * module in place of kernel/config/precompiled.ts, so a server checks its config without running ajv's compiler.
 * Validators are keyed by schema fingerprint: a schema that differs from the one compiled here (another version,
 * a user's own plugin) is simply compiled at boot.
 */
import { writeFileSync } from 'node:fs';
import { Ajv, _ } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import * as builtIn from '../plugins/index.js';
import { CONFIG_FORMATS } from '../kernel/config/formats.js';
import { pluginPropertySchema } from '../kernel/config/resolve.js';
import { kernelSchema } from '../kernel/config/schema.js';
import { CONFIG_AJV_OPTIONS, schemaFingerprint } from '../kernel/config/validate.js';
import type { JsonSchema } from '../kernel/config/schema.js';
import type { PluginDefinition } from '../kernel/plugin/define.js';

// CommonJS with a default export: under ESM it can arrive wrapped once more.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as unknown as typeof standaloneModule.default;

const [output, formatsModule] = process.argv.slice(2);
if (!output || !formatsModule) throw new Error('usage: precompile-config.ts <output.js> <formats module>');

const schemas = new Map<string, JsonSchema>([[schemaFingerprint(kernelSchema), kernelSchema]]);
for (const value of Object.values(builtIn)) {
  const definition = (value as { definition?: PluginDefinition<object> }).definition;
  if (typeof value !== 'function' || !definition?.name) continue;
  const schema = pluginPropertySchema(definition);
  schemas.set(schemaFingerprint(schema), schema);
}

const ajv = new Ajv({
  ...CONFIG_AJV_OPTIONS,
  formats: CONFIG_FORMATS,
  code: { ...CONFIG_AJV_OPTIONS.code, source: true, esm: true, formats: _`__formats` },
});
const exports: Record<string, string> = {};
const keys: [string, string][] = [];
[...schemas].forEach(([fingerprint, schema], i) => {
  ajv.addSchema(schema, fingerprint);
  exports[`v${i}`] = fingerprint;
  keys.push([fingerprint, `v${i}`]);
});
const code = standaloneCode(ajv, exports);
writeFileSync(
  output,
  [
    // An absolute path: the bundler resolves it to the same module the kernel's validator imports.
    `import { CONFIG_FORMATS as __formats } from ${JSON.stringify(formatsModule)};`,
    code,
    `export const PRECOMPILED = new Map([${keys.map(([fp, name]) => `[${JSON.stringify(fp)}, ${name}]`).join(', ')}]);`,
    '',
  ].join('\n'),
);
console.log(`precompiled ${schemas.size} config validators`);
