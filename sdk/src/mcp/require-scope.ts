/**
 * `requireScope('tools/write', handler)`: a tool handler wrapper for the official MCP SDK server. A call whose
 * token lacks the scope never reaches the handler; behind `createMcpAuth` the whole HTTP answer becomes a 403
 * `insufficient_scope` challenge, which the MCP SDK client follows by re-authorizing for the wider scope. Used
 * elsewhere (no adapter), the call still fails, as a tool error naming the missing scope.
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/** Step-up requests raised during one HTTP request, keyed by the AuthInfo object the adapter made for it. */
const stepUps = new WeakMap<AuthInfo, Set<string>>();

/** Called by the adapter before dispatch: from now on, requireScope records what this request lacked. */
export function trackStepUp(authInfo: AuthInfo): void {
  stepUps.set(authInfo, new Set());
}

/** The scopes a handler asked for and the token lacked during this request, or undefined when none did. */
export function stepUpRequested(authInfo: AuthInfo): string[] | undefined {
  const wanted = stepUps.get(authInfo);
  return wanted?.size ? [...wanted] : undefined;
}

export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((s) => granted.includes(s));
}

/**
 * Wraps a tool callback (`(args, extra)` or `(extra)`; `extra` is always the last argument) so it runs only when
 * the token carries every scope in `scope`.
 */
export function requireScope<H extends (...args: any[]) => unknown>(scope: string | readonly string[], handler: H): H {
  const required = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...scope];
  const guarded = (...args: unknown[]) => {
    const extra = args[args.length - 1] as { authInfo?: AuthInfo } | undefined;
    const authInfo = extra?.authInfo;
    if (authInfo && hasScopes(authInfo.scopes, required)) return handler(...args);
    if (authInfo) for (const s of required) stepUps.get(authInfo)?.add(s);
    const missing = required.filter((s) => !authInfo?.scopes.includes(s));
    return { isError: true, content: [{ type: 'text', text: `insufficient_scope: this tool needs the scope ${missing.join(' ')}` }] };
  };
  return guarded as H;
}
