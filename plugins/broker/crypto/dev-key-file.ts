/**
 * The development master key: with no key in the environment and a loopback issuer, `npm start` still works, the
 * way keystore-keyfile generates a signing key under data/. The key is made once and kept in a 0600 file in a 0700
 * folder, so grants connected in development survive restarts. A public issuer never gets here.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { brokerCryptoErrors } from './errors.js';
import { parseMasterKey } from './local-box.js';

/** The issuer's host is this machine: `http://localhost:9000`, `http://127.0.0.1:…`, `http://[::1]:…`. */
export function isLoopbackIssuer(issuer: string): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname;
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface DevKey {
  key: Buffer;
  path: string;
  /** True when this call wrote the file. */
  created: boolean;
}

/** Reads the development key file, or creates it (exclusively: two processes starting at once share one key). */
export async function loadOrCreateDevKey(file: string): Promise<DevKey> {
  const path = resolve(file);
  const read = async (): Promise<DevKey> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw brokerCryptoErrors.DEV_KEY_FILE(`cannot read the development master key ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return { key: parseMasterKey(text, `the development master key file ${path}`), path, created: false };
    } catch (err) {
      throw brokerCryptoErrors.MASTER_KEY_INVALID((err as Error).message, { cause: err });
    }
  };
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw brokerCryptoErrors.DEV_KEY_FILE(`cannot create the folder of ${path}: ${(err as Error).message}`, { cause: err });
  }
  const key = randomBytes(32);
  try {
    // 'wx': fails when the file exists, so an existing key is never overwritten (that would lose every grant).
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw brokerCryptoErrors.DEV_KEY_FILE(`cannot write the development master key ${path}: ${(err as Error).message}`, { cause: err });
  }
  // The process umask may have narrowed the mode further, never widened it; chmod states it exactly.
  await chmod(path, 0o600);
  return { key, path, created: true };
}
