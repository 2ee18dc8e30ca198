import type { KernelConfig } from './types.js';

/** The issuer the schema defaults to, whose port is the default address's. */
const DEFAULT_PORT = 9000;

function addressPort(address: string): number {
  return Number(/:(\d+)$/.exec(address)?.[1] ?? DEFAULT_PORT);
}

function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname.endsWith('.localhost');
}

/**
 * Keeps the advertised endpoints on the port the server listens on. With no issuer configured, the issuer follows
 * `server.address` (`:9100` → `http://localhost:9100`) instead of the default's 9000, which discovery would then
 * advertise with nothing listening there. A configured localhost issuer on another port is kept (a local proxy may
 * sit in between) but warned about; a non-local issuer is a public name in front of a proxy, where the ports differ
 * by design. Port 0 (pick any) is known only after binding, so it changes nothing.
 */
export function alignIssuerWithAddress(kernel: KernelConfig, issuerConfigured: boolean): string[] {
  const port = addressPort(kernel.server.address);
  if (port === 0) return [];
  if (!issuerConfigured) {
    kernel.server.issuer = `http://localhost:${port}`;
    return [];
  }
  const issuer = new URL(kernel.server.issuer);
  const issuerPort = Number(issuer.port || (issuer.protocol === 'https:' ? 443 : 80));
  if (!isLocalHost(issuer.hostname) || issuerPort === port) return [];
  return [
    `server.issuer ${kernel.server.issuer} is on port ${issuerPort} but server.address ${kernel.server.address} listens on ${port}: ` +
      `discovery sends clients to a port this server does not listen on (leave server.issuer and AUTHPLANE_SERVER_ISSUER unset to follow the address, or make the ports agree)`,
  ];
}
