import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Context } from 'koa';

export interface Serialized {
  body: Buffer;
  etag: string;
}

export function serialize(document: unknown): Serialized {
  const body = Buffer.from(JSON.stringify(document));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

export type ContentCoding = 'br' | 'gzip';

/** One representation of a document version: its bytes, content coding and strong ETag. */
export interface Representation {
  body: Buffer;
  etag: string;
  encoding: ContentCoding | undefined;
}

interface Representations {
  identity: Representation;
  br: Representation | undefined;
  gzip: Representation | undefined;
  all: readonly Representation[];
}

/**
 * Compressed once per document version (a new Serialized is a new version), on its first request, never per
 * request. A compressed form is kept only when smaller. Each has its own strong ETag, the identity tag with the
 * coding appended: RFC 9110 §8.8.3 — different content codings are different representations, whose strong
 * validators must differ.
 */
const cache = new WeakMap<Serialized, Representations>();
export function representationsOf(doc: Serialized): Representations {
  let found = cache.get(doc);
  if (!found) {
    const identity: Representation = { body: doc.body, etag: doc.etag, encoding: undefined };
    const encoded = (encoding: ContentCoding, body: Buffer): Representation | undefined =>
      body.length < doc.body.length ? { body, etag: `${doc.etag.slice(0, -1)}-${encoding}"`, encoding } : undefined;
    const br = encoded(
      'br',
      brotliCompressSync(doc.body, {
        params: {
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          // The best ratio costs milliseconds on the documents served here; a huge one gets a cheaper setting.
          [constants.BROTLI_PARAM_QUALITY]: doc.body.length <= 256 * 1024 ? constants.BROTLI_MAX_QUALITY : 5,
          [constants.BROTLI_PARAM_SIZE_HINT]: doc.body.length,
        },
      }),
    );
    const gzip = encoded('gzip', gzipSync(doc.body, { level: 9 }));
    found = { identity, br, gzip, all: [identity, ...(br ? [br] : []), ...(gzip ? [gzip] : [])] };
    cache.set(doc, found);
  }
  return found;
}

/**
 * The codings an Accept-Encoding value accepts, best first (RFC 9110 §12.5.3: `q=0` refuses; `*` stands for any
 * coding not named; on equal weight br before gzip). Clients send a handful of distinct values, so each is parsed
 * once and remembered, up to a bound.
 */
const preferences = new Map<string, readonly ContentCoding[]>();
const PREFERENCES_MAX = 256;
function acceptedCodings(acceptEncoding: string): readonly ContentCoding[] {
  let found = preferences.get(acceptEncoding);
  if (found) return found;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.split(';');
    const coding = name!.trim().toLowerCase();
    if (!coding) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') q = Number(value?.trim());
    }
    weights.set(coding, Number.isFinite(q) ? q : 0);
  }
  const weight = (coding: ContentCoding) => weights.get(coding) ?? weights.get('*') ?? 0;
  found = (['br', 'gzip'] as const).filter((c) => weight(c) > 0).sort((a, b) => weight(b) - weight(a));
  if (preferences.size >= PREFERENCES_MAX) preferences.clear();
  preferences.set(acceptEncoding, found);
  return found;
}

/** The representation to send: the best accepted coding this document has, otherwise identity. */
export function chooseRepresentation(doc: Serialized, acceptEncoding: string | undefined): Representation {
  const reps = representationsOf(doc);
  if (acceptEncoding) {
    for (const coding of acceptedCodings(acceptEncoding)) {
      const rep = reps[coding];
      if (rep) return rep;
    }
  }
  return reps.identity;
}

/**
 * The representation an If-None-Match names, when it names one of this version (RFC 9110 §13.1.2: weak comparison;
 * `*` matches the chosen one). The 304 carries that representation's ETag, so a cache freshens what it holds —
 * even a form other than the one this request's Accept-Encoding would get.
 */
export function matchedRepresentation(doc: Serialized, chosen: Representation, ifNoneMatch: string | undefined): Representation | undefined {
  if (!ifNoneMatch) return undefined;
  if (ifNoneMatch.trim() === '*') return chosen;
  const reps = representationsOf(doc).all;
  for (const raw of ifNoneMatch.split(',')) {
    const tag = raw.trim();
    const opaque = tag.startsWith('W/') ? tag.slice(2) : tag;
    const rep = reps.find((r) => r.etag === opaque);
    if (rep) return rep;
  }
  return undefined;
}

/**
 * Writes a pre-serialized JSON document, compressed per Accept-Encoding, with the representation's ETag and
 * `Vary: Accept-Encoding`, answering 304 to an If-None-Match naming a representation of this version.
 */
export function sendSerialized(ctx: Context, doc: Serialized, maxAge: number, type = 'application/json'): void {
  const chosen = chooseRepresentation(doc, ctx.get('accept-encoding') || undefined);
  const matched = matchedRepresentation(doc, chosen, ctx.get('if-none-match') || undefined);
  ctx.set('Cache-Control', `public, max-age=${maxAge}`);
  ctx.set('ETag', (matched ?? chosen).etag);
  ctx.vary('Accept-Encoding');
  if (matched) {
    ctx.status = 304;
    return;
  }
  if (chosen.encoding) ctx.set('Content-Encoding', chosen.encoding);
  ctx.type = type;
  ctx.body = chosen.body;
}
