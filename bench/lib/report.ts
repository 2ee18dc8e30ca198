/** The one table a comparison prints: median req/s, p50, p99 per server, and our ratios to the baseline. */
import type { ScenarioSummary } from './load.js';
import { fixed, formatTable, markdownTable, ratio } from './stats.js';

export const COMPARISON_HEADER = ['Scenario', 'Server', 'req/s (median)', 'p50 ms', 'p99 ms', 'req/s ratio', 'p99 ratio'];

export function comparisonRows(summaries: readonly ScenarioSummary[]): string[][] {
  return summaries.flatMap(({ name, ours, theirs }) => {
    const row = (side: typeof ours, ratios: [string, string]) => [
      name,
      side.server + (side.failures ? ` (${side.failures} failed)` : ''),
      fixed(side.rps),
      fixed(side.p50, 1),
      fixed(side.p99, 1),
      ...ratios,
    ];
    const ourRow = row(ours, theirs ? [ratio(ours.rps, theirs.rps), ratio(ours.p99, theirs.p99)] : ['—', '—']);
    return theirs ? [ourRow, row(theirs, ['', ''])] : [ourRow];
  });
}

export function printComparison(summaries: readonly ScenarioSummary[], options: { markdown?: boolean } = {}): string {
  const rows = comparisonRows(summaries);
  return options.markdown ? markdownTable(COMPARISON_HEADER, rows) : formatTable(COMPARISON_HEADER, rows);
}
