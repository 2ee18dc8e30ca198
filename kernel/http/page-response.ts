/** The response of a paged admin list: `{ <key>: [...], next }` and an RFC 8288 `Link: <…>; rel="next"` header. */
import type { Context } from 'koa';
import type { Page } from '../storage/keyset-page.js';

export function sendPage<Row extends object>(ctx: Context, key: string, page: Page<Row>, extra: Record<string, unknown> = {}): void {
  if (page.next !== null) {
    const params = new URLSearchParams(ctx.querystring);
    params.set('cursor', page.next);
    ctx.set('Link', `<${ctx.path}?${params.toString()}>; rel="next"`);
  }
  ctx.body = { ...extra, [key]: page.rows, next: page.next };
}
