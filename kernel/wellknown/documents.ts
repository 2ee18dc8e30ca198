import { createHash } from 'node:crypto';
import type { Context } from 'koa';

export interface Serialized {
  body: Buffer;
  etag: string;
}

export function serialize(document: unknown): Serialized {
  const body = Buffer.from(JSON.stringify(document));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/** Writes a pre-serialized JSON document with its strong ETag, answering 304 to a matching If-None-Match. */
export function sendSerialized(ctx: Context, doc: Serialized, maxAge: number, type = 'application/json'): void {
  ctx.set('Cache-Control', `public, max-age=${maxAge}`);
  ctx.set('ETag', doc.etag);
  const inm = ctx.get('if-none-match');
  if (inm && inm.split(',').some((tag) => tag.trim() === doc.etag)) {
    ctx.status = 304;
    return;
  }
  ctx.type = type;
  ctx.body = doc.body;
}
