/**
 * application/x-www-form-urlencoded (WHATWG URL §5.1), the body of every OAuth request. The common case (ASCII
 * names, values with at most a few escapes) is decoded here with string searches; anything `decodeURIComponent`
 * refuses (a stray `%`, bytes that are not UTF-8) goes to `URLSearchParams`, whose lenient rules then decide.
 * Iterating a `URLSearchParams` costs several times this on the token and introspection hot paths.
 */

/** One name or value: `+` is a space, then percent-decoding. Throws URIError on an escape it cannot decode. */
export function formComponent(s: string): string {
  if (s.includes('+')) s = s.replaceAll('+', ' ');
  return s.includes('%') ? decodeURIComponent(s) : s;
}

/** The name/value pairs of a form-encoded string, in order; an empty sequence between `&`s is no pair. */
export function formPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  try {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('&', start);
      if (end < 0) end = text.length;
      if (end > start) {
        const eq = text.indexOf('=', start);
        pairs.push(
          eq < 0 || eq > end
            ? [formComponent(text.slice(start, end)), '']
            : [formComponent(text.slice(start, eq)), formComponent(text.slice(eq + 1, end))],
        );
      }
      start = end + 1;
    }
    return pairs;
  } catch {
    return [...new URLSearchParams(text)];
  }
}
