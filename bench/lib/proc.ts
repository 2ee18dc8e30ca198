/** Memory of a child process, from /proc (Linux). */
import { readFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size now, MiB. */
export const rssMiB = (pid: number) => statusField(pid, 'VmRSS');
/** Highest resident set size so far, MiB. */
export const peakRssMiB = (pid: number) => statusField(pid, 'VmHWM');
