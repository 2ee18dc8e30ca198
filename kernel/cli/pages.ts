/**
 * `authserver admin … list` over a paged list: walks the admin API's pages (the same `limit` and `cursor`) to the
 * end by default, printing each page as it arrives, so a list of 100k rows never sits in memory whole.
 */
import { BootError } from '../errors.js';
import type { Page } from '../storage/keyset-page.js';
import type { CliContext, CliOption } from './command.js';
import { cell } from './output.js';

/** The paging flags of every list command. */
export const PAGE_OPTIONS = {
  limit: { type: 'string', description: 'Rows per page, 1-1000 (default 100); every page is printed unless --pages is given' },
  cursor: { type: 'string', description: 'Start at this page: the `next` cursor a previous list printed' },
  pages: { type: 'string', description: 'Stop after this many pages and print the next cursor (default: all pages)' },
} satisfies Record<string, CliOption>;

/** The API's `limit` and `cursor` from the flags, for the list's own parser. */
export function pageFlags(options: CliContext['options']): { limit?: string; cursor?: string } {
  return {
    ...(typeof options.limit === 'string' ? { limit: options.limit } : {}),
    ...(typeof options.cursor === 'string' ? { cursor: options.cursor } : {}),
  };
}

function pageCount(options: CliContext['options']): number {
  if (options.pages === undefined) return Infinity;
  const pages = typeof options.pages === 'string' && /^\d{1,9}$/.test(options.pages) ? Number(options.pages) : 0;
  if (pages < 1) throw new BootError('AP_ERR_CLI_USAGE', '--pages must be a positive integer');
  return pages;
}

/**
 * Prints a paged list: `fetch(cursor)` returns one page (the first with `cursor` undefined unless --cursor was
 * given). A table for people — one header, rows page after page, then `next: <cursor>` if it stopped before the
 * end — or with --json one document in the admin API's shape, `{"<key>": [...], "next": …}`, one row per line.
 */
export async function printPages<Row extends object>(
  ctx: Pick<CliContext, 'options' | 'out'>,
  key: string,
  fetch: (cursor: string | undefined) => Promise<Page<Row>>,
  summary: (row: Row) => Record<string, unknown> = (row) => ({ ...row }) as Record<string, unknown>,
): Promise<void> {
  const { options, out } = ctx;
  const json = options.json === true;
  const maxPages = pageCount(options);
  let cursor = typeof options.cursor === 'string' ? options.cursor : undefined;
  let widths: number[] | undefined;
  let columns: string[] | undefined;
  let pending: string | undefined;
  let printed = 0;
  if (json) out(`{"${key}": [`);
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await fetch(cursor);
    cursor = page.next ?? undefined;
    if (json) {
      for (const record of page.rows) {
        if (pending !== undefined) out(`${pending},`);
        pending = `  ${JSON.stringify(record)}`;
      }
    } else if (page.rows.length > 0) {
      const rows = page.rows.map(summary);
      columns ??= Object.keys(rows[0]!);
      const cells = rows.map((row) => columns!.map((c) => cell(row[c])));
      // Columns widen for a wider page; the lines printed before stay as they were.
      widths = columns.map((c, i) => Math.max(widths?.[i] ?? c.length, ...cells.map((r) => r[i]!.length)));
      if (printed === 0) out(line(columns.map((c) => c.toUpperCase()), widths));
      for (const r of cells) out(line(r, widths));
    }
    printed += page.rows.length;
    if (cursor === undefined) break;
  }
  if (json) {
    if (pending !== undefined) out(pending);
    out(`], "next": ${JSON.stringify(cursor ?? null)}}`);
    return;
  }
  if (printed === 0) out('(none)');
  if (cursor !== undefined) out(`next: ${cursor}`);
}

const line = (values: string[], widths: number[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
