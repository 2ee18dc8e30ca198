import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ProblemError } from '../errors.js';
import type { Static, TSchema } from '../plugin/options-schema.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
let shared: Ajv | undefined;
/** Made on the first admin request, not at import: boot time matters more than that request. */
const ajv = () => (shared ??= addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false })));

/**
 * A validator for admin API bodies (and the CLI, which sends the same objects), compiled once. A bad body is a
 * 400 problem listing every error with its field: `{"errors": [{"field": "redirect_uris.0", "message": "…"}]}`.
 * What it returns is the schema's static type: the body has passed that very schema.
 */
export function bodyValidator<S extends TSchema>(schema: S): (body: unknown) => Static<S> {
  // Compiled on first use, not at register: boot time matters more than the first admin request.
  let validate: ReturnType<Ajv['compile']> | undefined;
  return (body) => {
    validate ??= ajv().compile(schema);
    if (validate(body)) return body as Static<S>;
    const errors = (validate.errors ?? []).map((e) => {
      const base = e.instancePath.slice(1).split('/').filter(Boolean).join('.');
      const extra =
        e.keyword === 'required'
          ? (e.params as { missingProperty: string }).missingProperty
          : e.keyword === 'additionalProperties'
            ? (e.params as { additionalProperty: string }).additionalProperty
            : '';
      const field = [base, extra].filter(Boolean).join('.') || '(body)';
      const message =
        e.keyword === 'required'
          ? 'is required'
          : e.keyword === 'additionalProperties'
            ? 'is not a known field'
            : e.keyword === 'enum'
              ? `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
              : (e.message ?? 'is invalid');
      return { field, message };
    });
    throw new ProblemError(400, 'Bad Request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      extra: { errors },
    });
  };
}
