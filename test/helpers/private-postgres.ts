/**
 * A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port, data in a temp folder), for tests that
 * stop and start the database server — never the shared service other tests use. initdb refuses to run as root: as
 * root, the cluster runs as the `postgres` system user. Without the binaries the test is skipped, except under CI.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from './server.js';

const run = promisify(execFile);

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
}

export interface PrivateCluster {
  dsn: string;
  port: number;
  /** `pg_ctl stop -m fast`: open connections are terminated, new ones refused until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The server's own log, for a failure message. */
  log(): string;
}

export async function startPrivateCluster(t: TestContext): Promise<PrivateCluster | undefined> {
  const bin = binDir();
  if (!bin) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are needed under CI=true');
    t.skip('initdb and pg_ctl are not installed');
    return undefined;
  }
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    owner = { uid: Number(uid), gid: Number(gid) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'authplane-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  let running = false;
  const cluster: PrivateCluster = {
    dsn: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '120', 'stop']);
      running = false;
    },
    async start() {
      await pg('pg_ctl', ['-D', data, '-o', options, '-l', logFile, '-w', '-t', '120', 'start']);
      running = true;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
  t.after(async () => {
    if (running) await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  await cluster.start();
  return cluster;
}
