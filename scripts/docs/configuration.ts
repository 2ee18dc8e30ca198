/**
 * docs/configuration.md from the one JSON Schema the server validates against: the kernel's schema composed with
 * every built-in plugin's (composeSchema, the same function boot uses), one row per settable option.
 */
import { pluginConfigKey, type JsonSchema } from 'authplane';
import { asJsonSchema } from '../../kernel/plugin/options-schema.js';
import { envName } from '../../kernel/config/env.js';
import { composeSchema } from '../../kernel/config/resolve.js';
import { kernelSchema } from '../../kernel/config/schema.js';
import type { BuiltinPlugin } from './builtin-plugins.js';
import { code, document, GENERATED_BANNER, table } from './markdown.js';

export interface OptionRow {
  path: string[];
  schema: JsonSchema;
  required: boolean;
}

/** Objects with declared properties are walked (as the env overlay does); everything else is one option. */
export function optionRows(schema: JsonSchema, path: string[] = [], required = false): OptionRow[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([key, sub]) =>
      optionRows(sub, [...path, key], schema.required?.includes(key) ?? false),
    );
  }
  return path.length ? [{ path, schema, required }] : [];
}

function typeText(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const base = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  if (base === 'array') {
    const items = schema.items ?? {};
    const item = typeText({ ...items, format: undefined });
    const list = item.includes('|') ? `(${item})[]` : `${item}[]`;
    return items.format ? `${list} (${items.format})` : list;
  }
  return schema.format ? `${base} (${schema.format})` : base;
}

function constraints(schema: JsonSchema): string[] {
  const out: string[] = [];
  const range = (low: unknown, high: unknown, what = '') => {
    if (low !== undefined && high !== undefined) out.push(`${what}${low}–${high}`);
    else if (low !== undefined) out.push(`${what}≥ ${low}`);
    else if (high !== undefined) out.push(`${what}≤ ${high}`);
  };
  range(schema.minimum, schema.maximum);
  range(schema.minLength, schema.maxLength, 'length ');
  range(schema.minItems, schema.maxItems, 'items ');
  if (schema.pattern) out.push(`pattern ${schema.pattern}`);
  return out;
}

function row({ path, schema, required }: OptionRow): string[] {
  const type = [code(typeText(schema)), ...constraints(schema)].join(', ');
  const dflt = schema.default !== undefined ? code(JSON.stringify(schema.default)) : required ? '**required**' : '—';
  const env = code(envName(path)) + (schema['x-secret'] === true ? ' (secret: env only)' : '');
  return [code(path.join('.')), type, dflt, env, schema.description ?? ''];
}

const HEADER = ['Option', 'Type', 'Default', 'Environment variable', 'Description'];

const INTRO = `# Configuration

AuthPlane reads one typed config object, in three layers: built-in defaults < the config file (\`--config <path>\`,
else \`./authplane.config.ts\` when it exists) < \`AUTHPLANE_*\` environment variables. The merged result is validated
once against a JSON Schema composed of the kernel's schema and the schema of every enabled plugin; every problem is
printed with its path (\`server.issuer: must be an absolute URL …\`) and the server exits 1.

\`\`\`ts
import { defineConfig } from 'authplane';
import { auditDb, keystoreKeyfile, storageSqlite } from 'authplane/plugins';

export default defineConfig({
  server: { issuer: 'https://auth.example.com' },
  plugins: [storageSqlite(), keystoreKeyfile(), auditDb({ retentionDays: 30 })],
});
\`\`\`

- **Environment variables** are \`AUTHPLANE_\` plus the option's path in upper snake case:
  \`server.issuer\` → \`AUTHPLANE_SERVER_ISSUER\`, \`signing.retiredKeyRetention\` →
  \`AUTHPLANE_SIGNING_RETIRED_KEY_RETENTION\`. Booleans accept \`true/false\`, \`1/0\`, \`yes/no\`, \`on/off\`; lists are
  comma-separated; object values are JSON. A set \`AUTHPLANE_*\` variable that no enabled option reads is logged as a
  warning.
- **Secrets** (marked *secret: env only*) are read from the environment only. A secret written in the config file
  stops boot with a message naming the variable to use, logs redact them and \`GET /admin/system/config\` omits them.
- **Plugin options** are passed to the plugin's factory in the config file (\`auditDb({ retentionDays: 30 })\`);
  in the merged config and in the environment they live under the plugin's camelCase key (\`auditDb.retentionDays\`,
  \`AUTHPLANE_AUDIT_DB_RETENTION_DAYS\`). A plugin's options exist only when the plugin is enabled. Plugins from your
  own files or packages follow the same rules.
- **The file** is an ES module (\`export default\`): \`.ts\`/\`.mts\` through tsx, no build step, \`.js\`/\`.mjs\` as they are,
  or \`.json\`. The TypeScript files under its directory (outside \`node_modules\`) load as ES modules whatever your
  package.json's \`type\` says, so a project made by \`npm init\` needs no \`"type": "module"\`.`;

export function renderConfiguration(plugins: readonly BuiltinPlugin[]): string {
  const composed = composeSchema(plugins.map((p) => ({ definition: p.definition, options: {} })));
  const blocks: string[] = [GENERATED_BANNER('the kernel and built-in plugin JSON Schemas'), INTRO, '## Kernel options'];
  for (const section of Object.keys(kernelSchema.properties ?? {})) {
    const sectionSchema = composed.properties![section]!;
    blocks.push(`### \`${section}\``);
    blocks.push(table(HEADER, optionRows(sectionSchema, [section]).map(row)));
  }

  blocks.push(
    '## Plugin options',
    'Built-in plugins, from `authplane/plugins`. Those marked *in the default preset* are the plugins `authserver` runs with when there is no config file, or the config has no `plugins` key. `plugins: []` is refused (`AP_ERR_CONFIG_INVALID`): a server without plugins has no storage driver.',
  );
  for (const plugin of plugins) {
    const { definition } = plugin;
    const key = pluginConfigKey(definition.name);
    blocks.push(`### \`${definition.name}\``);
    const facts = [
      plugin.exportName ? `Factory: \`${plugin.exportName}()\`` : undefined,
      `config key \`${key}\``,
      plugin.inPreset ? 'in the default preset' : 'not in the default preset',
      definition.dependsOn?.length ? `depends on ${definition.dependsOn.map((d) => `\`${d}\``).join(', ')}` : undefined,
    ].filter(Boolean);
    const description = definition.schema && asJsonSchema(definition.schema).description;
    blocks.push(`${facts.join(' · ')}.${description ? `\n\n${description}` : ''}`);
    const rows = optionRows(composed.properties![key]!, [key]);
    blocks.push(rows.length ? table(HEADER, rows.map(row)) : 'No options.');
  }
  return document(blocks);
}
