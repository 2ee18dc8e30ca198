/**
 * Where a browser may be sent once signed in: our own authorization and consent URLs, and paths under the prefixes
 * other plugins registered for their browser routes (`interactions.allowReturnPath('/connect/')`). Only same-origin
 * relative paths, as a browser would resolve them unchanged: no open redirect, no way out of a prefix.
 */
import { oauthErrors } from './errors.js';

/** Our own pages: the authorize request and the consent screen, each with its query. */
const OWN_PAGES = /^\/(oauth\/authorize|consent)\?[^\\]*$/;
/** A prefix: whole path segments, ending in `/` (`/connect/`), so `/connect/` never admits `/connected`. */
const PREFIX = /^(\/[A-Za-z0-9._~-]+)+\/$/;
/** Cookies carry the path through the login: keep it well inside a cookie's 4 KB. */
const MAX_PATH = 2048;
/** Any base does: only how a browser would resolve the path matters, and that it stays on this base. */
const BASE = 'http://return-to.invalid';

export class ReturnPaths {
  readonly #prefixes: string[] = [];
  #closed = false;

  allow(prefix: string): void {
    if (this.#closed) throw oauthErrors.RETURN_PATH_INVALID(`interactions.allowReturnPath('${prefix}') was called after register; call it in register`);
    if (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.split('/').some((s) => s === '.' || s === '..')) {
      throw oauthErrors.RETURN_PATH_INVALID(`interactions.allowReturnPath('${String(prefix)}'): a prefix is an absolute path of whole segments ending in '/', such as '/connect/'`);
    }
    if (!this.#prefixes.includes(prefix)) this.#prefixes.push(prefix);
  }

  close(): void {
    this.#closed = true;
  }

  /** `value` when the browser may be sent there after login, else undefined (the value is dropped, never fixed up). */
  check(value: string | undefined): string | undefined {
    if (!value) return undefined;
    if (OWN_PAGES.test(value) && !value.startsWith('//')) return value;
    return this.#underPrefix(value) ? value : undefined;
  }

  #underPrefix(value: string): boolean {
    if (this.#prefixes.length === 0 || value.length > MAX_PATH) return false;
    // `//host` and `/\host` are other origins to a browser; a fragment, whitespace or a control character has no
    // business in a return path.
    if (!value.startsWith('/') || value.startsWith('//') || /[\\#\s\u0000-\u001f\u007f]/.test(value)) return false;
    let url: URL;
    try {
      url = new URL(value, BASE);
    } catch {
      return false;
    }
    // Resolved as a browser would: dot segments (`/connect/../admin`, `/connect/%2e%2e/admin`) or anything else the
    // parser rewrites would send the browser somewhere other than the path checked, so such a value is refused.
    if (url.origin !== BASE || `${url.pathname}${url.search}` !== value || url.pathname.includes('//')) return false;
    return this.#prefixes.some((prefix) => url.pathname.startsWith(prefix));
  }
}
