import { BootError } from '../errors.js';
import type { CliContext, CliOption } from './command.js';

/** The `--json` flag every read command takes. */
export const JSON_OPTION = { json: { type: 'boolean', description: 'Print JSON' } } satisfies Record<string, CliOption>;

/** One value as a table cell. */
export const cell = (value: unknown): string =>
  value === null || value === undefined || value === ''
    ? '-'
    : Array.isArray(value)
      ? value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** A list: a table for people, `{"<key>": [...]}` — the admin API's shape — with --json. */
export function printRecords(out: (line: string) => void, json: boolean, key: string, rows: Record<string, unknown>[]): void {
  out(json ? JSON.stringify({ [key]: rows }, null, 2) : table(rows));
}

/** One record: `field  value` lines for people, the admin API's JSON object with --json. */
export function printRecord(out: (line: string) => void, json: boolean, record: object): void {
  if (json) {
    out(JSON.stringify(record, null, 2));
    return;
  }
  const entries = Object.entries(record);
  const width = Math.max(...entries.map(([k]) => k.length));
  for (const [key, value] of entries) out(`${key.padEnd(width)}  ${cell(value)}`);
}

/** The one positional argument a command takes (an id), or a usage error naming it. */
export function oneArgument(args: readonly string[], usage: string): string {
  if (args.length !== 1) throw new BootError('AP_ERR_CLI_USAGE', `usage: authserver ${usage}`);
  return args[0]!;
}

/** `--data '<json>'`: the exact admin API body, as an object (flags given too override its fields). */
export function dataOption(options: CliContext['options']): Record<string, unknown> {
  if (typeof options.data !== 'string') return {};
  let body: unknown;
  try {
    body = JSON.parse(options.data);
  } catch {
    throw new BootError('AP_ERR_CLI_USAGE', '--data must be a JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BootError('AP_ERR_CLI_USAGE', '--data must be a JSON object');
  }
  return body as Record<string, unknown>;
}
