/**
 * A loopback TCP proxy in front of a server (PostgreSQL here), so a test can drop one client's connections — and
 * keep them dropped — without touching the server or its other clients: `cut()` closes every connection through the
 * proxy and refuses new ones until `restore()`.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections currently open through the proxy. */
  readonly open: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(t: { after(fn: () => unknown): void }, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection(target);
    sockets.add(inbound).add(outbound);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    get open() {
      return sockets.size / 2;
    },
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  t.after(() => proxy.close());
  return proxy;
}

/** The DSN with its host and port replaced by the proxy's. */
export function throughProxy(dsn: string, proxy: TcpProxy): string {
  const url = new URL(dsn);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
