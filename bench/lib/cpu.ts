/**
 * CPU pinning: each server on core 0, the load generator (and this orchestrating process) on core 1, so the server
 * under test never competes with the client for its core. Without taskset or a second core everything runs
 * unpinned and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

let available: boolean | undefined;

export function canPin(): boolean {
  available ??= cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return available;
}

/** `[command, args]` run on one core when pinning is possible. */
export function pinned(core: number, command: string, args: readonly string[]): [string, string[]] {
  return canPin() ? ['taskset', ['-c', String(core), command, ...args]] : [command, [...args]];
}

/** Moves this process (every thread) to one core. */
export function pinSelf(core: number): void {
  if (canPin()) spawnSync('taskset', ['-a', '-c', '-p', String(core), String(process.pid)], { stdio: 'ignore' });
}

export function machineSummary(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const pinning = canPin() ? `servers on core ${SERVER_CORE}, load generator on core ${LOAD_CORE}` : 'not pinned (no taskset or one core)';
  // Other work on the machine skews every figure; the load average says how much there was.
  return `node ${process.version} · ${cpu} × ${cpus().length} · ${pinning} · load average ${loadavg()[0]!.toFixed(2)}`;
}
