/**
 * The Docker build context a `.dockerignore` leaves, computed the way BuildKit does (moby/patternmatcher): patterns in
 * order, `!` re-includes, the last pattern that matches a path or one of its parent directories decides. `*` and `?`
 * stay within a path segment, `**` spans segments. Character classes and escapes are refused rather than guessed.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
  /** The pattern's segments, to decide whether an ignored folder can hold a re-included path. */
  segments: string[];
}

function globToRegex(glob: string): RegExp {
  if (/[[\]\\]/.test(glob)) throw new Error(`.dockerignore pattern ${glob}: character classes and escapes are not supported here`);
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing or inner `**` anything at all.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): Pattern[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclusion = line.startsWith('!');
      let glob = posix.normalize(exclusion ? line.slice(1).trim() : line);
      if (glob.length > 1 && glob.startsWith('/')) glob = glob.slice(1);
      if (glob.length > 1 && glob.endsWith('/')) glob = glob.slice(0, -1);
      return { exclusion, regex: globToRegex(glob), segments: glob.split('/') };
    });
}

/** Whether `path` (relative, `/`-separated) is left out of the context. */
export function isIgnored(patterns: Pattern[], path: string): boolean {
  const parents = path.split('/').slice(0, -1);
  let ignored = false;
  for (const pattern of patterns) {
    if (pattern.exclusion !== ignored) continue; // only an exclusion can undo, only an inclusion can ignore
    let match = pattern.regex.test(path);
    for (let depth = 1; !match && depth <= parents.length; depth++) match = pattern.regex.test(parents.slice(0, depth).join('/'));
    if (match) ignored = !pattern.exclusion;
  }
  return ignored;
}

/** Whether some `!` pattern could re-include a path below the ignored directory `dir`. */
function mayReinclude(patterns: Pattern[], dir: string): boolean {
  const parts = dir.split('/');
  return patterns.some((p) => {
    if (!p.exclusion) return false;
    if (p.segments.length <= parts.length && !p.segments.includes('**')) return false;
    return parts.every((part, i) => {
      const segment = p.segments[i];
      return segment === undefined || segment.includes('**') || globToRegex(segment).test(part);
    });
  });
}

/** Every file of `root` the `.dockerignore` there keeps, as relative `/`-separated paths. */
export function contextFiles(root: string): string[] {
  const patterns = parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) {
        return isIgnored(patterns, path) && !mayReinclude(patterns, path) ? [] : walk(path);
      }
      return isIgnored(patterns, path) ? [] : [path];
    });
  return walk('');
}

/** Copies the build context of `root` (what `docker build root` sends) into `dest`. */
export function copyContext(root: string, dest: string): string[] {
  const files = contextFiles(root);
  for (const file of files) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(root, file), join(dest, file));
  }
  return files;
}
