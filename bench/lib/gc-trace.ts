/**
 * V8's own account of the collections during a measured run, read from `--trace-gc-nvp` lines (one `name=value`
 * line per collection on stdout): how often the young generation was scavenged and how long each paused, how
 * much survived and was promoted, and the full (mark-compact) collections — the pauses behind the slowest
 * requests (docs/performance.md, "Where the p99 goes"). Worker threads' isolates are left out: their pauses do not
 * stop the event loop.
 */
import { formatTable } from './stats.js';

export interface GcEvent {
  isolate: string;
  kind: string;
  pauseMs: number;
  promoted: number;
  survived: number;
}

const LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: pause=([\d.]+) .*?\bgc=(\w+)/;

export function parseGcTrace(text: string): GcEvent[] {
  const events: GcEvent[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    events.push({ isolate: m[1]!, kind: m[3]!, pauseMs: Number(m[2]), promoted: field('promoted'), survived: field('new_space_survived') });
  }
  return events;
}

/** The main thread's collections only: its isolate collects the most often. */
function mainIsolate(events: readonly GcEvent[]): GcEvent[] {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.isolate, (counts.get(e.isolate) ?? 0) + 1);
  const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return events.filter((e) => e.isolate === main);
}

export function printGcSummary(events: readonly GcEvent[], requests: number): void {
  const main = mainIsolate(events);
  const scavenges = main.filter((e) => e.kind === 's');
  const full = main.filter((e) => e.kind !== 's');
  const pauses = (list: readonly GcEvent[]) => list.map((e) => e.pauseMs).sort((a, b) => a - b);
  const row = (name: string, list: readonly GcEvent[]) => {
    const p = pauses(list);
    const sum = p.reduce((a, b) => a + b, 0);
    return [
      name,
      String(list.length),
      ((list.length / requests) * 1000).toFixed(2),
      p.length ? (sum / p.length).toFixed(2) : '—',
      p.length ? p[Math.floor(p.length / 2)]!.toFixed(1) : '—',
      p.length ? p.at(-1)!.toFixed(1) : '—',
      (sum / requests * 1000).toFixed(1),
    ];
  };
  console.log(`\nthe main thread's collections during the measured run(s) (V8 --trace-gc-nvp), ${requests} requests`);
  console.log(
    formatTable(
      ['collection', 'count', 'per 1000 req', 'pause avg ms', 'median', 'max', 'paused µs per req'],
      [row('scavenge', scavenges), row('full (mark-compact)', full)],
    ),
  );
  const promoted = scavenges.reduce((n, e) => n + e.promoted, 0);
  const survived = scavenges.reduce((n, e) => n + e.survived, 0);
  console.log(
    `scavenges kept ${scavenges.length ? Math.round(survived / scavenges.length / 1024) : 0} KiB alive on average ` +
      `and promoted ${Math.round(promoted / requests)} bytes per request into the old generation`,
  );
}
