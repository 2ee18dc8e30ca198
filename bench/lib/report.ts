/**
 * The one table a comparison prints: per scenario and server the median req/s, p50, p99, server CPU per request,
 * RSS idle and peak, and our ratios to the baseline from the same run. Columns nobody filled are left out.
 */
import type { ScenarioSummary, SideSummary } from './load.js';
import { fixed, formatTable, markdownTable, ratio } from './stats.js';

export interface TableRow {
  scenario: string;
  server: string;
  rps?: number;
  /** ms */
  p50?: number;
  /** ms */
  p99?: number;
  cpuUs?: number;
  idleMiB?: number;
  peakMiB?: number;
  failures?: number;
  /**
   * Ours ÷ baseline; only on our rows. `cpu` is requests per server CPU second, ours ÷ theirs: what the req/s ratio
   * would be if both servers had their core to themselves, which shared machines rarely allow.
   */
  ratios?: { rps?: number; cpu?: number; latency?: number; rss?: number };
}

export const COLUMNS = ['Scenario', 'Server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS idle MiB', 'RSS peak MiB', 'req/s ×', 'CPU ×', 'p99 ×', 'RSS ×'];

const quotient = (ours: number | undefined, theirs: number | undefined) =>
  ours !== undefined && theirs !== undefined && Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? ours / theirs : undefined;

function sideRow(scenario: string, side: SideSummary, baseline?: SideSummary): TableRow {
  return {
    scenario,
    server: side.server,
    rps: side.rps,
    p50: side.p50,
    p99: side.p99,
    cpuUs: side.cpuUs,
    idleMiB: side.idleMiB,
    peakMiB: side.peakMiB,
    failures: side.failures,
    ratios: baseline
      ? {
          rps: quotient(side.rps, baseline.rps),
          cpu: quotient(baseline.cpuUs, side.cpuUs),
          latency: quotient(side.p99, baseline.p99),
          rss: quotient(side.peakMiB, baseline.peakMiB),
        }
      : undefined,
  };
}

export function comparisonRows(summaries: readonly ScenarioSummary[]): TableRow[] {
  return summaries.flatMap(({ name, ours, theirs }) => [
    ...ours.map((side) => sideRow(name, side, theirs)),
    ...(theirs ? [sideRow(name, theirs)] : []),
  ]);
}

const times = (value: number | undefined) => (value === undefined ? '' : ratio(value, 1));

function cells(row: TableRow): string[] {
  return [
    row.scenario,
    row.server + (row.failures ? ` (${row.failures} failed)` : ''),
    row.rps === undefined ? '—' : fixed(row.rps),
    row.p50 === undefined ? '—' : fixed(row.p50, 1),
    row.p99 === undefined ? '—' : fixed(row.p99, 1),
    row.cpuUs === undefined ? '—' : fixed(row.cpuUs),
    row.idleMiB === undefined ? '—' : fixed(row.idleMiB, 1),
    row.peakMiB === undefined ? '—' : fixed(row.peakMiB, 1),
    times(row.ratios?.rps),
    times(row.ratios?.cpu),
    times(row.ratios?.latency),
    times(row.ratios?.rss),
  ];
}

/** The table as text (or GitHub markdown), without the columns that hold nothing in any row. */
export function renderTable(rows: readonly TableRow[], options: { markdown?: boolean } = {}): string {
  const body = rows.map(cells);
  const keep = COLUMNS.map((_, i) => i < 2 || body.some((r) => r[i] !== '—' && r[i] !== ''));
  const pick = <T,>(list: readonly T[]) => list.filter((_, i) => keep[i]);
  const header = pick(COLUMNS);
  const picked = body.map(pick);
  return options.markdown ? markdownTable(header, picked) : formatTable(header, picked);
}

export function printComparison(summaries: readonly ScenarioSummary[], options: { markdown?: boolean } = {}): string {
  return renderTable(comparisonRows(summaries), options);
}
