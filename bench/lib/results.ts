/**
 * Where a full run's figures go: bench/results/<date>.json (every run of every side, for later comparison) and
 * bench/results/<date>.md (the table as markdown), and — with `--readme` — the table quoted in README.md between
 * the markers of its Benchmarks section. Nothing else in the README is touched.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build.js';

export const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const README = join(REPO_ROOT, 'README.md');
const BEGIN = '<!-- bench:begin (written by `npm run bench -- --readme`) -->';
const END = '<!-- bench:end -->';

/** `2026-11-23`, the file name of a run (a second run on the same day replaces the first). */
export function runDate(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function writeResults(date: string, json: unknown, markdown: string): { json: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const paths = { json: join(RESULTS_DIR, `${date}.json`), markdown: join(RESULTS_DIR, `${date}.md`) };
  writeFileSync(paths.json, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(paths.markdown, `${markdown.trim()}\n`);
  return paths;
}

/** Replaces what stands between the markers; fails loudly when the README has no such section. */
export function quoteInReadme(markdown: string): void {
  const readme = readFileSync(README, 'utf8');
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} block in its Benchmarks section`);
  writeFileSync(README, `${readme.slice(0, begin + BEGIN.length)}\n${markdown.trim()}\n${readme.slice(end)}`);
}
