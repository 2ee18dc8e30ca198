import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { CONFIG_FORMATS } from './formats.js';
import { PRECOMPILED } from './precompiled.js';
import type { JsonSchema } from './schema.js';

/** Messages for our own formats, so a problem reads `server.issuer: must be an absolute URL`. */
const FORMAT_MESSAGES: Record<string, string> = {
  'issuer-url': 'must be an absolute URL (http or https) without query or fragment',
  'listen-address': 'must be a listen address like ":9000" or "127.0.0.1:9000"',
  origin: 'must be an origin like "https://app.example.com" (scheme, host and optional port) or "*"',
  uri: 'must be an absolute URL',
};

/**
 * The options config validators are compiled with, at boot and at build time alike. validateSchema: false — the
 * schema is the kernel's and the plugins' code, not input; optimize: false — a validator runs once per boot, and
 * the optimization pass took longer than the validation it speeds up.
 */
export const CONFIG_AJV_OPTIONS: Options = {
  allErrors: true,
  useDefaults: true,
  strict: false,
  validateSchema: false,
  code: { optimize: false },
};

/** What a precompiled validator is found by: the schema's exact JSON. */
export function schemaFingerprint(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
}

let ajv: Ajv | undefined;
function validatorFor(schema: JsonSchema): ValidateFunction {
  const precompiled = PRECOMPILED.get(schemaFingerprint(schema));
  if (precompiled) return precompiled;
  ajv ??= new Ajv({ ...CONFIG_AJV_OPTIONS, formats: CONFIG_FORMATS });
  return ajv.compile(schema);
}

/** The config's schema in parts: the kernel's (top level) and one per enabled plugin, under its key. */
export interface SchemaParts {
  kernel: JsonSchema;
  plugins: readonly (readonly [key: string, schema: JsonSchema])[];
}

/**
 * Validates the merged config part by part (applying defaults), so each part's validator can be one compiled at
 * build time: the kernel's keys against the kernel schema, each plugin's options against its own. Problems carry
 * their full path, as if one schema had checked the whole.
 */
export function createValidator(parts: SchemaParts) {
  const kernel = validatorFor(parts.kernel);
  const plugins = parts.plugins.map(([key, schema]) => [key, validatorFor(schema)] as const);
  const pluginKeys = new Set(parts.plugins.map(([key]) => key));
  return (config: Record<string, unknown>, sources: Map<string, string>): string[] => {
    const errors: ErrorObject[] = [];
    const top: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) if (!pluginKeys.has(key)) top[key] = value;
    if (!kernel(top)) errors.push(...(kernel.errors ?? []));
    // Defaults the kernel schema filled in at the top level.
    Object.assign(config, top);
    for (const [key, validate] of plugins) {
      config[key] ??= {};
      if (validate(config[key])) continue;
      for (const error of validate.errors ?? []) errors.push({ ...error, instancePath: `/${key}${error.instancePath}` });
    }
    return errors.map((error) => describe(error, sources));
  };
}

function describe(error: ErrorObject, sources: Map<string, string>): string {
  let path = error.instancePath.slice(1).split('/').filter(Boolean).join('.');
  let message = error.message ?? 'is invalid';
  switch (error.keyword) {
    case 'required':
      path = [path, (error.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.');
      message = 'is required';
      break;
    case 'additionalProperties':
      path = [path, (error.params as { additionalProperty: string }).additionalProperty].filter(Boolean).join('.');
      message = 'is not a known option';
      break;
    case 'format':
      message = FORMAT_MESSAGES[(error.params as { format: string }).format] ?? message;
      break;
    case 'enum':
      message = `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      break;
  }
  const source = sources.get(path);
  return `${path || '(config)'}: ${message}${source ? ` (from ${source})` : ''}`;
}
