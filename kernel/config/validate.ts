import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from './schema.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '';
  } catch {
    return false;
  }
}

/** Messages for our own formats, so a problem reads `server.issuer: must be an absolute URL`. */
const FORMAT_MESSAGES: Record<string, string> = {
  'issuer-url': 'must be an absolute URL (http or https) without query or fragment',
  'listen-address': 'must be a listen address like ":9000" or "127.0.0.1:9000"',
  origin: 'must be an origin like "https://app.example.com" (scheme, host and optional port) or "*"',
  uri: 'must be an absolute URL',
};

export function createValidator(schema: JsonSchema) {
  // validateSchema: false — the schema is the kernel's and the plugins' code, not input; checking it against the
  // JSON Schema meta-schema compiled that meta-schema on every boot, as long again as compiling the config schema.
  // optimize: false — the validator runs once per boot; ajv's optimization pass over the generated code took longer
  // than the validation it would speed up.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, validateSchema: false, code: { optimize: false } });
  addFormats(ajv);
  ajv.addFormat('issuer-url', (value: string) => {
    if (!isAbsoluteHttpUrl(value)) return false;
    const url = new URL(value);
    return url.search === '' && url.hash === '' && !value.includes('#') && !value.includes('?');
  });
  ajv.addFormat('listen-address', (value: string) => {
    const match = /^(.*):(\d{1,5})$/.exec(value);
    return match !== null && Number(match[2]) <= 65535;
  });
  ajv.addFormat('origin', (value: string) => {
    if (value === '*') return true;
    if (!isAbsoluteHttpUrl(value)) return false;
    return new URL(value).origin === value;
  });
  const validate = ajv.compile(schema);
  return (config: Record<string, unknown>, sources: Map<string, string>): string[] => {
    if (validate(config)) return [];
    return (validate.errors ?? []).map((error) => describe(error, sources));
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
