import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Addresses } from '../app.js';
import type { KernelConfig } from '../config/types.js';

/** A bound address as a URL a person can open: the wildcard addresses are reached on localhost. */
function urlOf(address: AddressInfo): string {
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Where the data is, without the DSN's credentials. */
function storageOf(config: KernelConfig): string {
  const { driver } = config.storage;
  if (driver === 'sqlite') return `SQLite ${resolve(config.storage.sqlite.path)}`;
  if (driver === 'postgres') {
    try {
      const dsn = new URL(config.storage.postgres.dsn ?? '');
      return `PostgreSQL ${dsn.hostname}${dsn.port ? `:${dsn.port}` : ''}${dsn.pathname}`;
    } catch {
      return 'PostgreSQL';
    }
  }
  return driver;
}

/**
 * What `serve` prints for a person at a terminal once it listens: where the data and keys are, the URLs, what to do
 * next. Logs stay JSON lines after it; without a terminal nothing but the JSON lines is printed.
 */
export function startupBanner(config: KernelConfig, addresses: Addresses, version: string): string {
  const issuer = config.server.issuer;
  const rows: [string, string][] = [
    ['Issuer', issuer],
    ['Public', `${urlOf(addresses.public)}  (OAuth endpoints, discovery, JWKS, /health)`],
    ['Admin', addresses.admin ? `${urlOf(addresses.admin)}  (admin API, /metrics)` : 'disabled (admin.enabled = false)'],
    ['Database', storageOf(config)],
  ];
  if (config.signing.keyStore === 'keyfile') rows.push(['Signing keys', resolve(config.signing.keyPath)]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const next = [
    `curl ${issuer}/.well-known/oauth-authorization-server`,
    'authserver admin --help   (from another terminal: clients, users, resources, keys on the database directly)',
  ];
  if (addresses.admin && config.admin.apiKey === undefined) {
    next.push('export AUTHPLANE_ADMIN_API_KEY=$(openssl rand -base64 32) and restart, to use the admin API');
  }
  next.push('Ctrl+C stops the server');
  return [
    '',
    `AuthPlane ${version} is serving`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`),
    '',
    'Next:',
    ...next.map((line) => `  ${line}`),
    '',
    'Logs follow as JSON lines.',
    '',
  ].join('\n');
}
