/**
 * Runs a Dockerfile's stages without Docker, so the build test follows the Dockerfile instead of restating it: each
 * stage gets a directory standing for the image's `/`, COPY takes files from the build context (what .dockerignore
 * leaves) or from an earlier stage's directory, RUN runs in the stage's WORKDIR. What cannot run outside the image is
 * named below and replaced or skipped; anything else new in the Dockerfile runs as written or fails the test.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { npmEnv, reuseCompiledAddon } from './npm.js';

const run = promisify(execFile);

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions grouped by stage (FROM … AS name); line continuations joined, comments dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let logical = '';
  const lines = [];
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      logical += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(logical + (logical ? line.trim() : line));
    logical = '';
  }
  for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
    const [, word, args = ''] = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = word!.toUpperCase();
    if (keyword === 'FROM') stages.push({ name: /\bAS\s+(\S+)$/i.exec(args)?.[1], instructions: [] });
    else if (stages.length > 0) stages.at(-1)!.instructions.push({ keyword, args });
  }
  return stages;
}

/** `--flag=value` options, then the operands (JSON form or whitespace-separated). */
function operands(args: string): { flags: Map<string, string>; words: string[] } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m; (m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)); rest = rest.slice(m[0].length)) flags.set(m[1]!, m[2] ?? '');
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, words };
}

/** Copies a file, or a directory's contents as COPY does (not the directory itself). */
function copyInto(src: string, dest: string, destIsDir: boolean): void {
  if (statSync(src).isDirectory()) {
    // cp(1): many times faster than fs.cpSync on node_modules; symlinks (node_modules/.bin) are copied as links.
    mkdirSync(dest, { recursive: true });
    execFileSync('cp', ['-RPp', `${src}/.`, dest]);
  } else {
    const target = destIsDir || (existsSync(dest) && statSync(dest).isDirectory()) ? join(dest, basename(src)) : dest;
    mkdirSync(join(target, '..'), { recursive: true });
    cpSync(src, target);
  }
}

export interface StageRun {
  /** Where the stage's `/` is. */
  root: string;
  workdir: string;
  env: Record<string, string>;
}

export interface RunOptions {
  /** The build context: a directory holding what .dockerignore lets through. */
  context: string;
  /** Directory standing for this stage's `/`. */
  root: string;
  /** Earlier stages, by name, for COPY --from. */
  stages?: Record<string, StageRun>;
  /** Runs one command of a RUN step (see buildCommandRunner); omitted: RUN steps are not run. */
  runCommand?: (command: string, cwd: string, env: Record<string, string>) => Promise<void>;
}

export async function runStage(stage: Stage, options: RunOptions): Promise<StageRun> {
  const state: StageRun = { root: options.root, workdir: '/', env: {} };
  const inImage = (path: string) => join(state.root, posix.resolve(state.workdir, path));
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      state.workdir = posix.resolve(state.workdir, args);
      mkdirSync(inImage('.'), { recursive: true });
    } else if (keyword === 'ENV') {
      for (const [, name, value] of args.matchAll(/([\w]+)=(\S+)/g)) state.env[name!] = value!;
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const { flags, words } = operands(args);
      const dest = words.pop()!;
      const from = flags.get('from');
      const source = from === undefined ? undefined : options.stages?.[from];
      if (from !== undefined && source === undefined) throw new Error(`${keyword} --from=${from}: no such stage run before`);
      for (const src of words) {
        if (/[*?[]/.test(src)) throw new Error(`${keyword} ${src}: wildcards are not supported by this test`);
        const path = source ? join(source.root, posix.resolve(source.workdir, src)) : join(options.context, src);
        if (!existsSync(path)) {
          throw new Error(source ? `${keyword} --from=${from} ${src}: the stage has no such file` : `${keyword} ${src}: not in the build context (left out by .dockerignore?)`);
        }
        copyInto(path, inImage(dest), words.length > 1 || dest.endsWith('/'));
      }
    } else if (keyword === 'RUN' && options.runCommand) {
      const { words } = operands(args);
      // Shell form: the steps of a `&&` chain one by one, so a step can be replaced; exec form: one command.
      const commands = args.startsWith('[') ? [words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')] : args.split(/\s+&&\s+/);
      for (const command of commands) await options.runCommand(command.trim(), inImage('.'), state.env);
    }
  }
  return state;
}

/**
 * How the build test runs a RUN step of the build stage here. System packages are the image's (the compiler
 * toolchain better-sqlite3 needs when no prebuilt binary fits): skipped. `npm ci` runs as written plus
 * `--ignore-scripts --prefer-offline` — compiling better-sqlite3 takes minutes — and gets this repository's compiled
 * addon (reuseCompiledAddon). Other commands run as written, unless they name an absolute path: that would be this
 * machine's, not the image's.
 */
export function buildCommandRunner(repoRoot: string, log: string[]) {
  return async (command: string, cwd: string, stageEnv: Record<string, string>): Promise<void> => {
    if (/^apt-get\s/.test(command) || command === 'rm -rf /var/lib/apt/lists/*') {
      log.push(`skipped: ${command}`);
      return;
    }
    if (/(^|\s)\/(?!dev\/null)/.test(command)) throw new Error(`RUN ${command}: names an absolute path; teach test/build/dockerfile.ts how to run it`);
    const npmCi = /^npm ci(\s|$)/.test(command);
    const line = npmCi ? `${command} --ignore-scripts --prefer-offline` : command;
    log.push(`run: ${line}`);
    await run('sh', ['-c', line], { cwd, env: npmEnv(stageEnv), timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    if (npmCi) {
      reuseCompiledAddon(repoRoot, cwd);
      log.push('copied: node_modules/better-sqlite3/build from this repository');
    }
  };
}
