import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { KernelConfig } from '../config/types.js';
import { BootError, ProblemError } from '../errors.js';
import { fastRequestHandler } from '../fast-path/request-handler.js';
import type { HookCatalog, ListenerName } from '../hooks.js';
import type { Metrics } from '../observe/metrics.js';
import { bodyReader } from './body.js';
import { createClientIpResolver } from './client-ip.js';
import { errorBoundary } from './errors.js';
import { cors, securityHeaders } from './headers.js';
import { requestContext, type Tracing } from './request-context.js';
import { clientErrorResponder, lastResortOnError } from './last-resort.js';
import { createRequestRecorder } from './request-record.js';
import type { RouteTable } from './routes.js';
import { requestInfo } from '../token/endpoint.js';

export interface ListenerDeps {
  config: KernelConfig;
  log: Logger;
  metrics: Metrics;
  routes: RouteTable;
  hooks: HookCatalog;
  tracing?: Tracing;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The request handler of one listener: with `server.fastPaths`, the kernel's shortcuts around koa
 * (kernel/fast-path/; static documents answered directly unless tracing wants a span for every request), else
 * plain koa.
 */
export function buildHandler(listener: ListenerName, deps: ListenerDeps): RequestHandler {
  const recorder = createRequestRecorder({ listener, log: deps.log, metrics: deps.metrics });
  const hsts = deps.config.server.issuer.startsWith('https:');
  const app = buildApp(listener, deps, recorder, hsts);
  if (!deps.config.server.fastPaths) return app.callback();
  const documents = deps.tracing ? new Map() : deps.routes.documents(listener);
  return fastRequestHandler(app, documents, recorder, { hsts });
}

/** The koa app of one listener: the middleware order here is the request's path through the kernel. */
function buildApp(listener: ListenerName, deps: ListenerDeps, recorder: ReturnType<typeof createRequestRecorder>, hsts: boolean): Koa {
  const { config, routes, hooks, log } = deps;
  const app = new Koa();
  app.silent = true;
  app.context.onerror = lastResortOnError(log, { hsts });
  app.use(
    requestContext({
      listener,
      recorder,
      tracing: deps.tracing,
      clientIp: createClientIpResolver(config.server.trustedProxies),
    }),
  );
  app.use(securityHeaders({ hsts }));
  app.use(errorBoundary(log));
  if (listener === 'public') app.use(cors(config.server.allowedOrigins, routes.corsPaths(listener), routes.corsHeaders()));
  app.use(bodyReader(config.server.bodyLimit));
  const extra: Middleware[] = [];
  hooks.httpMiddleware.call(extra, listener);
  for (const middleware of extra) app.use(middleware);
  const { router, middleware } = routes.dispatcher(listener, config.admin.apiKey, (token, ctx) =>
    hooks.adminAuthenticate.isUsed() ? hooks.adminAuthenticate.promise(token, requestInfo(ctx, config.server.issuer)) : Promise.resolve(undefined),
  );
  app.use(middleware);
  app.use(async (ctx) => {
    const match = router.match(ctx.path, ctx.method);
    const methods = new Set(match.path.flatMap((layer) => layer.methods));
    if (methods.size > 0) {
      throw new ProblemError(405, 'Method Not Allowed', `${ctx.method} is not allowed on ${ctx.path}`, {
        headers: { Allow: [...methods].join(', ') },
      });
    }
    throw new ProblemError(404, 'Not Found', `no route for ${ctx.method} ${ctx.path}`);
  });
  return app;
}

export function parseAddress(address: string): { host: string | undefined; port: number } {
  const match = /^(.*):(\d+)$/.exec(address)!;
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port: Number(match[2]) };
}

/** Where each listener's address is set, for errors that must say how to change it. */
const ADDRESS_SETTING: Record<ListenerName, { env: string; path: string }> = {
  public: { env: 'AUTHPLANE_SERVER_ADDRESS', path: 'server.address' },
  admin: { env: 'AUTHPLANE_ADMIN_ADDRESS', path: 'admin.address' },
};

export class Listener {
  readonly server: Server;
  #inflight = 0;
  #drained: (() => void) | undefined;

  constructor(
    readonly name: ListenerName,
    handle: RequestHandler,
    options: { hsts?: boolean } = {},
  ) {
    const closed = () => {
      this.#inflight--;
      if (this.#inflight === 0) this.#drained?.();
    };
    this.server = createServer((req, res) => {
      this.#inflight++;
      res.once('close', closed);
      handle(req, res);
    });
    this.server.on('clientError', clientErrorResponder(name, { hsts: options.hsts ?? false }));
  }

  async listen(address: string): Promise<AddressInfo> {
    const { host, port } = parseAddress(address);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (cause: NodeJS.ErrnoException) => {
        const setting = ADDRESS_SETTING[this.name];
        const why = cause.code === 'EADDRINUSE' ? `port ${port} is already in use (another authserver?)` : (cause.code ?? cause.message);
        reject(
          new BootError(
            'AP_ERR_LISTEN',
            `${this.name} listener cannot bind ${address}: ${why}; choose another address with ${setting.env} (${setting.path}), e.g. ${setting.env}=:${port < 65000 ? port + 100 : port - 100}`,
            { cause },
          ),
        );
      });
      this.server.listen(port, host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops accepting, lets in-flight requests finish for at most `timeoutMs`, then cuts what is left. Idle
   * keep-alive connections are closed at once so they cannot hold the process open.
   */
  async close(timeoutMs: number): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.#inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.#drained = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
  }
}
