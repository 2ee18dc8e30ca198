import type { Context } from 'koa';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A JSON response body, serialized here. Exactly what koa writes for an object body (the same bytes and
 * Content-Type), without its checks of the value against the web stream, Blob and Response globals: the first
 * touch of `Response` loads node's fetch implementation, tens of milliseconds that otherwise fell on the first
 * request a freshly started server answers.
 */
export function sendJson(ctx: Context, value: unknown): void {
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = JSON.stringify(value);
}
