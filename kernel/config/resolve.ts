import { BootError } from '../errors.js';
import { pluginConfigKey, type PluginInstance } from '../plugin/define.js';
import { asJsonSchema } from '../plugin/options-schema.js';
import { alignIssuerWithAddress } from './issuer-address.js';
import { applyEnvironment, envName, getPath, secretLeaves } from './env.js';
import { kernelSchema, type JsonSchema } from './schema.js';
import { isLocalIssuer, isObviousSecret } from './secrets.js';
import type { AuthPlaneConfig, KernelConfig } from './types.js';
import { createValidator } from './validate.js';

export interface ResolvedPlugin {
  instance: PluginInstance;
  key: string;
  options: Record<string, unknown>;
}

export interface ResolvedConfig {
  kernel: KernelConfig;
  plugins: ResolvedPlugin[];
  schema: JsonSchema;
  /** Printed at WARN once the logger exists. */
  warnings: string[];
  /**
   * Printed like `warnings`, but only by a server that serves: the admin key, the issuer's port.
   * A CLI command working on the database uses none of them.
   */
  servingWarnings: string[];
}

const MIN_ADMIN_KEY = 16;

/** A plugin's options schema as it sits in the config, under the plugin's camelCase key. */
export function pluginPropertySchema(definition: Pick<PluginInstance['definition'], 'name' | 'schema'>): JsonSchema {
  const schema = definition.schema && asJsonSchema(definition.schema);
  return {
    type: 'object',
    additionalProperties: false,
    properties: {},
    ...schema,
    default: {},
    description: schema?.description ?? `Options of the \`${definition.name}\` plugin.`,
  };
}

/** The one JSON Schema: the kernel's plus one property per enabled plugin, keyed by its camelCase name. */
export function composeSchema(plugins: readonly PluginInstance[]): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...kernelSchema.properties };
  for (const { definition } of plugins) properties[pluginConfigKey(definition.name)] = pluginPropertySchema(definition);
  return { ...kernelSchema, properties };
}

/** defaults < config file < AUTHPLANE_* environment; every problem is collected before failing. */
export function resolveConfig(user: AuthPlaneConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const { plugins: instances = [], ...fileKernel } = user;
  const seen = new Set<string>();
  for (const instance of instances) {
    if (!instance?.definition?.name) {
      throw new BootError('AP_ERR_CONFIG_LOAD', 'plugins: every entry must be a plugin instance, e.g. clients()');
    }
    if (seen.has(instance.definition.name)) {
      throw new BootError('AP_ERR_PLUGIN_DUPLICATE', `plugin '${instance.definition.name}' is enabled twice`);
    }
    seen.add(instance.definition.name);
  }
  const schema = composeSchema(instances);
  const fileLayer: Record<string, unknown> = structuredClone(fileKernel) as Record<string, unknown>;
  for (const instance of instances) {
    fileLayer[pluginConfigKey(instance.definition.name)] = structuredClone(instance.options);
  }

  const problems: string[] = [];
  let secretProblems = 0;
  for (const leaf of secretLeaves(schema)) {
    if (getPath(fileLayer, leaf.path) !== undefined) {
      secretProblems++;
      problems.push(
        `${leaf.path.join('.')}: is a secret and is read from the environment only; remove it from the config file and set ${envName(leaf.path)}`,
      );
    }
  }

  const merged = structuredClone(fileLayer);
  const { sources, used } = applyEnvironment(merged, schema, env);
  const parts = {
    kernel: kernelSchema,
    plugins: instances.map((i) => [pluginConfigKey(i.definition.name), pluginPropertySchema(i.definition)] as const),
  };
  // Before validation fills in the defaults: whether anyone chose the issuer.
  const issuerConfigured = getPath(merged, ['server', 'issuer']) !== undefined;
  problems.push(...createValidator(parts)(merged, sources));
  if (problems.length) {
    const code = secretProblems === problems.length ? 'AP_ERR_CONFIG_SECRET_IN_FILE' : 'AP_ERR_CONFIG_INVALID';
    throw new BootError(code, `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }

  const kernel = merged as unknown as KernelConfig;
  const warnings: string[] = [];
  const known = new Set([...used, ...instances.flatMap((i) => i.definition.env ?? [])]);
  for (const name of Object.keys(env)) {
    if (name.startsWith('AUTHPLANE_') && !known.has(name) && env[name] !== undefined) {
      warnings.push(`${name} is set but no enabled option reads it (typo, or its plugin is not enabled?)`);
    }
  }
  const servingWarnings = [...alignIssuerWithAddress(kernel, issuerConfigured), ...checkSecrets(kernel)];

  return {
    kernel,
    schema,
    warnings,
    servingWarnings,
    plugins: instances.map((instance) => {
      const key = pluginConfigKey(instance.definition.name);
      return { instance, key, options: merged[key] as Record<string, unknown> };
    }),
  };
}

/**
 * Boot self-check of the kernel's own settings: a public issuer uses https and has a strong admin key; on localhost
 * the server still starts, with warnings, so `npm start` works with nothing set. Secrets of features (the oauth
 * plugin's session secret) are checked by their plugin, with the same rule (secrets.ts).
 */
function checkSecrets(kernel: KernelConfig): string[] {
  const warnings: string[] = [];
  const problems: string[] = [];
  const local = isLocalIssuer(kernel.server.issuer);
  const apiKey = kernel.admin.apiKey;
  if (!local && new URL(kernel.server.issuer).protocol !== 'https:') {
    problems.push('server.issuer: must use https unless the host is localhost (OAuth 2.1 §1.5)');
  }
  if (apiKey !== undefined && (apiKey.length < MIN_ADMIN_KEY || isObviousSecret(apiKey))) {
    const why = `AUTHPLANE_ADMIN_API_KEY: must be at least ${MIN_ADMIN_KEY} characters and not an obvious value`;
    if (local) warnings.push(why);
    else problems.push(why);
  }
  if (apiKey === undefined) {
    if (local) warnings.push('AUTHPLANE_ADMIN_API_KEY is not set: the admin API refuses every request');
    else if (kernel.admin.enabled) problems.push('AUTHPLANE_ADMIN_API_KEY: is required for a non-localhost issuer');
  }
  if (problems.length) {
    throw new BootError('AP_ERR_INSECURE_SECRET', `refusing to start:\n  ${problems.join('\n  ')}`, { problems });
  }
  return warnings;
}
