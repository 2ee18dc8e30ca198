/** RFC 8252 §7.3: loopback redirect URIs may use any port, chosen by the native app at run time. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * A loopback URI without user information: `http://evil@127.0.0.1:5555/cb` must not pass for a registered
 * `http://127.0.0.1/cb` (the port-free match would otherwise ignore everything before the host). The raw text is
 * checked too, as URL parsing drops an empty `@`.
 */
export function isLoopbackUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    if (url.username || url.password || /^http:[/\\]*[^/?#\\]*@/i.test(uri)) return false;
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/** Exact string match, except that on a loopback host the port is not compared. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  if (!isLoopbackUri(registered) || !isLoopbackUri(requested)) return false;
  const a = new URL(registered);
  const b = new URL(requested);
  return a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search && !requested.includes('#');
}

/** The redirect URI with our response parameters added to its query (RFC 6749 §4.1.2), keeping its own query. */
export function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}
