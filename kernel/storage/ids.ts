import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the CSPRNG in blocks: one call per 256 ids instead of one allocation and call each. */
const POOL_IDS = 256;
const RANDOM_BYTES = 10;
const pool = Buffer.allocUnsafe(POOL_IDS * RANDOM_BYTES);
let offset = pool.length;

/**
 * UUIDv7 (RFC 9562 §5.7): time-ordered primary keys keep B-tree inserts at the right edge of the index.
 * 48-bit millisecond timestamp, version 7, variant 10, 74 random bits.
 */
export function uuidv7(now = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
