/**
 * keystore-keyfile: signing keys as JSON files under `signing.keyPath` (default data/keys/), one per key, mode 0600
 * in a 0700 directory. Rotated keys are kept on disk; the key ring decides how long they stay published. The folder
 * is watched, so a rotation by the CLI reaches the running server at once.
 * Registers: `keyStores` 'keyfile'. Suits one server: it describes itself as not shared, and the kernel warns at
 * boot when it is used on PostgreSQL storage (replicas would each publish their own keys).
 */
import { watch as watchFolder, type FSWatcher } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { JsonWebKey } from 'node:crypto';
import { join, resolve } from 'node:path';
import { defineErrors, definePlugin, type KeyStore, type StoredKey } from 'authplane';

const keyfileErrors = defineErrors('keystore-keyfile', {
  PATH: 'The signing key folder (`signing.keyPath`) or a key file in it cannot be created, read or written (permissions, a read-only or full file system).',
});

interface KeyFile {
  kid: string;
  alg: 'ES256';
  created_at: string;
  retired_at?: string;
  private_jwk: JsonWebKey;
}

const KID_FILE = /^[A-Za-z0-9_-]{16,128}\.json$/;

const ERRNO_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOSPC: 'no space left on the device',
};

/** A file-system error on the key folder as one line naming the setting, not a raw errno. */
function keyPathError(err: unknown, what: string): unknown {
  const reason = ERRNO_REASONS[(err as NodeJS.ErrnoException)?.code ?? ''];
  if (!reason) return err;
  return keyfileErrors.PATH(
    `${what}: ${reason} — make it writable by the server's user, or point signing.keyPath (AUTHPLANE_SIGNING_KEY_PATH) elsewhere`,
    { cause: err },
  );
}

function toFile(key: StoredKey): KeyFile {
  return {
    kid: key.kid,
    alg: key.alg,
    created_at: key.createdAt.toISOString(),
    ...(key.retiredAt ? { retired_at: key.retiredAt.toISOString() } : {}),
    private_jwk: key.privateJwk,
  };
}

function createKeyfileStore(directory: string): KeyStore {
  const dir = resolve(directory);
  const write = async (key: StoredKey) => {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw keyPathError(err, `cannot create the signing key folder ${dir}`);
    }
    const file = join(dir, `${key.kid}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      // Write then rename, so a crash never leaves a half-written key behind.
      await writeFile(tmp, JSON.stringify(toFile(key), null, 2), { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    } catch (err) {
      throw keyPathError(err, `cannot write a signing key into ${dir}`);
    }
  };
  const readAll = async (): Promise<StoredKey[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw keyPathError(err, `cannot read the signing key folder ${dir}`);
    }
    const keys: StoredKey[] = [];
    for (const name of names.filter((n) => KID_FILE.test(n))) {
      const data = JSON.parse(await readFile(join(dir, name), 'utf8').catch((err) => {
        throw keyPathError(err, `cannot read the signing key ${join(dir, name)}`);
      })) as KeyFile;
      keys.push({
        kid: data.kid,
        alg: data.alg,
        privateJwk: data.private_jwk,
        createdAt: new Date(data.created_at),
        retiredAt: data.retired_at ? new Date(data.retired_at) : undefined,
      });
    }
    return keys;
  };
  return {
    load: readAll,
    save: write,
    // A rotation by `authserver admin key rotate` renames a key file into this folder: the running server sees it
    // at once (inotify and the like). Where the folder cannot be watched, the key ring's interval still reloads.
    watch(onChange) {
      let watcher: FSWatcher | undefined;
      try {
        watcher = watchFolder(dir, { persistent: false }, (_event, name) => {
          if (name === null || KID_FILE.test(String(name))) onChange();
        });
        watcher.on('error', () => watcher?.close());
      } catch {
        watcher = undefined;
      }
      return () => watcher?.close();
    },
    // A folder of this host: servers elsewhere have their own unless they mount the same one.
    describe: () => ({ shared: false, location: dir }),
    async markRetired(kid, at) {
      const key = (await readAll()).find((k) => k.kid === kid);
      if (!key) throw new Error(`key ${kid} is not in ${dir}`);
      await write({ ...key, retiredAt: at });
    },
  };
}

export const keystoreKeyfile = definePlugin({
  name: 'keystore-keyfile',
  errors: keyfileErrors,
  register(api) {
    api.registries.keyStores.register('keyfile', ({ config }) => createKeyfileStore(config.signing.keyPath));
  },
});
