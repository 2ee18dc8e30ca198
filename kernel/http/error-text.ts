/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E; `'` is kept for our quotes. */
const PLAIN = /^[\x20\x21\x23-\x26\x28-\x5B\x5D-\x7E]$/;
/** Enough to recognise a URI or a scope list, short enough for a log line or a redirect's query. */
const MAX_ECHO = 200;

/**
 * A value the client sent, quoted for an error description or page: every other character percent-encoded (UTF-8)
 * so the text stays within the characters RFC 6749 allows and shows what was really received (a stray space, a
 * control character), cut at MAX_ECHO characters. In the kernel so every plugin that repeats a received value
 * (`invalid_target` names the `resource` it got) quotes it the same way.
 */
export function echo(value: string): string {
  let out = '';
  for (const ch of value) {
    const piece = PLAIN.test(ch) ? ch : [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    if (out.length + piece.length > MAX_ECHO) return `'${out}'...`;
    out += piece;
  }
  return `'${out}'`;
}
