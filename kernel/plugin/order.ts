import { BootError } from '../errors.js';
import type { PluginInstance } from './define.js';

/** Plugins in an order where each comes after everything it depends on; config order breaks ties. */
export function orderPlugins<T extends { instance: PluginInstance }>(plugins: readonly T[]): T[] {
  const byName = new Map(plugins.map((p) => [p.instance.definition.name, p]));
  for (const p of plugins) {
    for (const dep of p.instance.definition.dependsOn ?? []) {
      if (!byName.has(dep)) {
        throw new BootError(
          'AP_ERR_PLUGIN_DEPENDENCY',
          `plugin '${p.instance.definition.name}' depends on '${dep}', which is not enabled`,
        );
      }
    }
  }
  const ordered: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: T, chain: string[]) => {
    const name = p.instance.definition.name;
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new BootError('AP_ERR_PLUGIN_DEPENDENCY', `plugins depend on each other in a cycle: ${[...chain, name].join(' → ')}`);
    }
    state.set(name, 'visiting');
    for (const dep of p.instance.definition.dependsOn ?? []) visit(byName.get(dep)!, [...chain, name]);
    state.set(name, 'done');
    ordered.push(p);
  };
  for (const p of plugins) visit(p, []);
  return ordered;
}

/** Every plugin a plugin may use services from: its dependencies, transitively. */
export function dependencyClosure(plugins: readonly PluginInstance[], name: string): Set<string> {
  const byName = new Map(plugins.map((p) => [p.definition.name, p]));
  const seen = new Set<string>();
  const walk = (n: string) => {
    for (const dep of byName.get(n)?.definition.dependsOn ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        walk(dep);
      }
    }
  };
  walk(name);
  return seen;
}

/** Runs one lifecycle phase of one plugin, bounded, with the plugin's name in any failure. */
export async function runPhase(plugin: string, phase: string, timeoutMs: number, fn: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
  } catch (cause) {
    if (cause instanceof BootError) throw cause;
    throw new BootError('AP_ERR_PLUGIN_PHASE', `plugin '${plugin}' failed in ${phase}: ${(cause as Error).message}`, { cause });
  } finally {
    clearTimeout(timer);
  }
}
