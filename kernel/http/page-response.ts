/** The response of a paged admin list: `{ <key>: [...], next }` and an RFC 8288 `Link: <…>; rel="next"` header. */
import type { Context } from 'koa';
import type { Page } from '../storage/keyset-page.js';

/** `Link: <this request with cursor=next>; rel="next"`, when there is a next page. */
export function linkNext(ctx: Context, next: string | null): void {
  if (next === null) return;
  const params = new URLSearchParams(ctx.querystring);
  params.set('cursor', next);
  ctx.set('Link', `<${ctx.path}?${params.toString()}>; rel="next"`);
}

export function sendPage<Row extends object>(ctx: Context, key: string, page: Page<Row>): void {
  linkNext(ctx, page.next);
  ctx.body = { [key]: page.rows, next: page.next };
}
