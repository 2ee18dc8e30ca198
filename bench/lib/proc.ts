/** Memory of a child process, from /proc (Linux). */
import { readFileSync, writeFileSync } from 'node:fs';

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
/** Highest resident set size since start or the last `resetPeakRss`, MiB. */
export const peakRssMiB = (pid: number) => statusField(pid, 'VmHWM');

/**
 * Resets the kernel's high-water mark to the current RSS (proc(5): writing 5 to clear_refs), so the next peak is
 * this scenario's alone. Where that is not allowed the peak stays the process's lifetime peak.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the process has used so far, from /proc (NaN elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the whole line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
