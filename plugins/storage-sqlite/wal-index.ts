import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** What the WAL index says about the write-ahead log: frames in it, how many are in the database file already. */
export interface WalState {
  /** Frames in the WAL since it was last restarted (`mxFrame`). */
  frames: number;
  /** Of those, frames a checkpoint has copied into the database file (`nBackfill`). */
  backfilled: number;
  /** Changes when the WAL restarts from its beginning (`aSalt[0]`). */
  salt: number;
}

/*
 * The WAL index (`<database>-shm`, https://www.sqlite.org/walformat.html §2.1): two copies of a 48-byte header
 * (mxFrame at byte 16, aSalt at byte 32), then the checkpoint info (nBackfill at byte 96); integers in the host's
 * byte order. Read without SQLite's locks, so a value can be a moment old or torn: good for deciding when to
 * checkpoint, never for correctness.
 */
const HEADER_BYTES = 100;
const little = endianness() === 'LE';
const u32 = (buf: Buffer, at: number) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));

/** Reads the WAL index of `databaseFile`; undefined while there is none (no write yet) or it cannot be read. */
export function walIndexReader(databaseFile: string): { read(): WalState | undefined; close(): void } {
  const buf = Buffer.alloc(HEADER_BYTES);
  let fd: number | undefined;
  return {
    read() {
      try {
        fd ??= openSync(`${databaseFile}-shm`, 'r');
        if (readSync(fd, buf, 0, HEADER_BYTES, 0) < HEADER_BYTES || buf[12] === 0) return undefined;
        return { frames: u32(buf, 16), backfilled: u32(buf, 96), salt: u32(buf, 32) };
      } catch {
        return undefined;
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
