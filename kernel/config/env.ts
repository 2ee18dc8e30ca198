import type { JsonSchema } from './schema.js';

/** `retiredKeyRetention` → `RETIRED_KEY_RETENTION`. */
export function upperSnake(segment: string): string {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.]/g, '_')
    .toUpperCase();
}

export function envName(path: readonly string[]): string {
  return ['AUTHPLANE', ...path.map(upperSnake)].join('_');
}

export interface Leaf {
  path: string[];
  schema: JsonSchema;
}

/** Every settable value of a schema: objects with declared properties are walked, everything else is a leaf. */
export function schemaLeaves(schema: JsonSchema, path: string[] = []): Leaf[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([key, sub]) => schemaLeaves(sub, [...path, key]));
  }
  return path.length ? [{ path, schema }] : [];
}

function coerce(raw: string, schema: JsonSchema): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw; // the schema check reports it with its path
    case 'integer':
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'array':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((item) => (schema.items ? coerce(item, schema.items) : item));
    case 'object':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

export function getPath(source: unknown, path: readonly string[]): unknown {
  let node = source;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Applies `AUTHPLANE_*` variables over the config (the top layer). Returns, per config path, the variable that set
 * it, so a validation message can name the variable the operator has to fix.
 */
export function applyEnvironment(
  config: Record<string, unknown>,
  schema: JsonSchema,
  env: NodeJS.ProcessEnv,
): { sources: Map<string, string>; used: Set<string> } {
  const sources = new Map<string, string>();
  const used = new Set<string>();
  for (const leaf of schemaLeaves(schema)) {
    const name = envName(leaf.path);
    const raw = env[name];
    if (raw === undefined) continue;
    used.add(name);
    setPath(config, leaf.path, coerce(raw, leaf.schema));
    sources.set(leaf.path.join('.'), name);
  }
  return { sources, used };
}

export function secretLeaves(schema: JsonSchema): Leaf[] {
  return schemaLeaves(schema).filter((leaf) => leaf.schema['x-secret'] === true);
}
