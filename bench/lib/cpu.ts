/**
 * CPU pinning: each server on core 0, the load generator (and this orchestrating process) on core 1, so the server
 * under test never competes with the client for its core. Without taskset or a second core everything runs
 * unpinned and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

let available: boolean | undefined;

export function canPin(): boolean {
  available ??= cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return available;
}

/** `[command, args]` run on one core (or a taskset list such as `0,1`) when pinning is possible. */
export function pinned(core: number | string, command: string, args: readonly string[]): [string, string[]] {
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

/** Jiffies the machine's CPUs spent: all of them, and stolen by the hypervisor (proc(5): /proc/stat `cpu` line). */
export function cpuTimes(): { total: number; steal: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return { total: Number.NaN, steal: Number.NaN };
  }
}

/**
 * Share of CPU time the hypervisor took for other guests between two readings, %: on a shared virtual machine the
 * figures of a run with much steal are slower across the board and its ratios drift toward 1.
 */
export function stealPercent(before: ReturnType<typeof cpuTimes>, after: ReturnType<typeof cpuTimes>): number {
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}
