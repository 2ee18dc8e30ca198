/**
 * Every built-in plugin, found rather than listed: each factory the 'authplane/plugins' barrel exports plus each
 * plugin of the default preset. A plugin added to either shows up in the generated docs without editing them.
 */
import type { PluginDefinition, PluginInstance } from 'authplane';
import * as barrel from 'authplane/plugins';
import { defaultPlugins } from '../../plugins/preset-default.js';

export interface BuiltinPlugin {
  definition: PluginDefinition<any>;
  /** The barrel export that creates it, when there is one. */
  factory?: (options?: object) => PluginInstance;
  exportName?: string;
  inPreset: boolean;
}

function isFactory(value: unknown): value is ((options?: object) => PluginInstance) & { definition: PluginDefinition<any> } {
  const definition = typeof value === 'function' ? (value as { definition?: { name?: unknown; register?: unknown } }).definition : undefined;
  return typeof definition?.name === 'string' && typeof definition.register === 'function';
}

/** Sorted by plugin name, so reordering the barrel or the preset does not churn the docs. */
export function builtinPlugins(): BuiltinPlugin[] {
  const byName = new Map<string, BuiltinPlugin>();
  for (const [exportName, value] of Object.entries(barrel)) {
    if (isFactory(value)) byName.set(value.definition.name, { definition: value.definition, factory: value, exportName, inPreset: false });
  }
  for (const instance of defaultPlugins()) {
    const known = byName.get(instance.definition.name);
    if (known) known.inPreset = true;
    else byName.set(instance.definition.name, { definition: instance.definition, inPreset: true });
  }
  return [...byName.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name));
}
