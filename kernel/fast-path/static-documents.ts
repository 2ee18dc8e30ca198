import type { IncomingMessage, ServerResponse } from 'node:http';
import { securityHeaderList } from '../http/headers.js';
import type { RequestRecorder } from '../http/request-record.js';
import type { StaticDocument } from '../http/routes.js';
import { newScope } from '../observe/request-scope.js';
import { chooseRepresentation, matchedRepresentation, type Representation } from '../wellknown/documents.js';
import { writeAfterReads } from './turn-writes.js';

/**
 * Answers a plain GET or HEAD of a static document straight on the node response, before koa builds a context:
 * these are the most requested and cheapest answers the server gives, and koa's context, the middleware chain and
 * its header checks cost more than the answer. Invariant: the response is byte for byte what the koa route writes
 * (the same headers, representation, ETag and 304; test/kernel/static-documents.test.ts compares them); anything unusual — another
 * method, an `Origin` (CORS) — returns false and goes the normal way. Requests answered here are recorded
 * (metrics, access log) like any other, but `httpMiddleware` taps never see them; `/.well-known/*` is outside every
 * built-in middleware's scope (rate limits exempt it).
 */
export function staticResponder(
  documents: ReadonlyMap<string, StaticDocument>,
  recorder: RequestRecorder,
  options: { hsts: boolean },
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const security = securityHeaderList(options);
  // Per representation of a document version: the header block is built once, not per request.
  const blocks = new WeakMap<Representation, { ok: string[]; notModified: string[] }>();
  const headerBlock = (rep: Representation, document: StaticDocument) => {
    let block = blocks.get(rep);
    if (!block) {
      const cache = ['Cache-Control', `public, max-age=${document.maxAge}`, 'ETag', rep.etag, 'Vary', 'Accept-Encoding'];
      const coding = rep.encoding ? ['Content-Encoding', rep.encoding] : [];
      block = {
        ok: [...security, ...cache, ...coding, 'Content-Type', document.contentType, 'Content-Length', String(rep.body.length)],
        notModified: [...security, ...cache],
      };
      blocks.set(rep, block);
    }
    return block;
  };

  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const document = documents.get(path);
    if (!document || req.headers.origin !== undefined) return false;

    const started = process.hrtime.bigint();
    const requestId = recorder.requestId(req.headers['x-request-id'] as string | undefined);
    const doc = document.current();
    const chosen = chooseRepresentation(doc, req.headers['accept-encoding']);
    const matched = matchedRepresentation(doc, chosen, req.headers['if-none-match']);
    const fresh = matched !== undefined;
    const status = fresh ? 304 : 200;
    const headers = matched ? headerBlock(matched, document).notModified : headerBlock(chosen, document).ok;
    writeAfterReads(() => {
      res.writeHead(status, ['X-Request-ID', requestId, ...headers]);
      res.end(fresh || method === 'HEAD' ? undefined : chosen.body);
      recorder.record({ method, route: path, path, status, started, scope: newScope(requestId, req.headers.traceparent) });
    }, () => res.destroy());
    return true;
  };
}
