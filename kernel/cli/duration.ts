import { BootError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `1h`, `500ms`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new BootError('AP_ERR_CLI_USAGE', `invalid duration '${text}' (use e.g. 90s, 10m, 1h)`);
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (!(ms > 0)) throw new BootError('AP_ERR_CLI_USAGE', `duration must be positive: '${text}'`);
  return ms;
}
