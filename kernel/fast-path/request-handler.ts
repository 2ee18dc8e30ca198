/**
 * The fast paths (`server.fastPaths`, default on) live in this folder, together, so they can be switched off as
 * one and read as one:
 * - static-documents.ts — discovery and the JWKS answered before koa builds a context;
 * - koa-cycle.ts — koa's middleware and response writing without its per-response `on-finished` watch;
 * - turn-writes.ts — responses finished during the I/O phase written together at its end;
 * - driver-statements.ts — fixed hot-path statements on the driver's own connection instead of knex's builder, and
 *   the driver's synchronous reader for point reads;
 * and, in the storage-sqlite plugin (it reads the same switch), the prepared-statement cache on its connection.
 * With the switch off every request goes through plain koa (`app.callback()`) and every statement through plain
 * knex; the answers are the same (`npm test` runs the HTTP and OAuth tests a second time that way). What each
 * shortcut bought, and how it was measured: docs/performance.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { RequestRecorder } from '../http/request-record.js';
import type { StaticDocument } from '../http/routes.js';
import { requestArrived } from '../loop-turn.js';
import { koaRequestHandler } from './koa-cycle.js';
import { staticResponder } from './static-documents.js';

/**
 * A listener's handler on the fast paths: static documents answered directly (when `documents` has any), the rest
 * through `app` in the kernel's koa cycle, each response written with the turn's others.
 */
export function fastRequestHandler(
  app: Koa,
  documents: ReadonlyMap<string, StaticDocument>,
  recorder: RequestRecorder,
  options: { hsts: boolean },
): (req: IncomingMessage, res: ServerResponse) => void {
  const callback = koaRequestHandler(app);
  if (documents.size === 0) {
    return (req, res) => {
      requestArrived();
      callback(req, res);
    };
  }
  const answer = staticResponder(documents, recorder, options);
  return (req, res) => {
    requestArrived();
    if (!answer(req, res)) callback(req, res);
  };
}
