/**
 * Running `authserver` under a pseudo-terminal (util-linux `script`), as a person's terminal would. `script` does not
 * pass SIGTERM on to what it runs, so a test stops the server itself, found among script's descendants.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/** `argv` as one shell command line for `script -c`. */
export function shellQuoted(argv: readonly string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0): it has exited, its parent (init, here) has not reaped it yet.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The `authserver` process among `pid`'s descendants (script may run it through a shell). */
export function serverUnder(pid: number): number | undefined {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
  for (const child of children) {
    let command: string | undefined;
    let args: string[] = [];
    try {
      [command, ...args] = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited between pgrep and the read
    }
    if (command === process.execPath && args.some((a) => a.endsWith('bin/authserver.ts'))) return child;
    const below = serverUnder(child);
    if (below) return below;
  }
  return undefined;
}

/** Signals a process that may already be gone. */
export function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
