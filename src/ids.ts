// Random identifiers and secrets. Base62 with rejection sampling, so every character is uniform.
import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Random bytes come from a pool: one `randomBytes` call per 4 KiB, each byte handed out once.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

/** Where the next `length` unused bytes of the pool start (a fresh pool when too few are left). */
function take(length: number): number {
  if (poolOffset + length > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  poolOffset += length;
  return poolOffset - length;
}

function randomByte(): number {
  return pool[take(1)]!;
}

/** `length` cryptographically random bytes from the pool (secrets). */
export function pooledRandomBytes(length: number): Buffer {
  const at = take(length);
  return Buffer.from(pool.subarray(at, at + length));
}

/** `length` uniform base62 characters from the pooled random bytes. */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const byte = randomByte();
    // 248 = 4 * 62: bytes at or above it would bias the first characters.
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

/** `key_…`: 22 random base62 characters ≈ 131 bits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// Time-ordered ids for rows created at volume (webhooks, events, deliveries): 8 base62
// characters of the millisecond clock, 4 of a per-process sequence within that millisecond,
// then 10 random ones (≈ 59 bits). BASE62 is in ASCII order, so ids sort by creation, even for the thousands of
// rows one fan-out writes in the same millisecond. New rows (and their attempt-log entries,
// indexed by delivery id) then land at the end of each index instead of on random pages,
// which keeps inserts cheap at millions of rows.
let lastMs = 0;
let lastMsEncoded = base62(0, 8);
let sequence = 0;

function base62(value: number, width: number): string {
  let out = "";
  for (let v = value, i = 0; i < width; i++, v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out;
}

/** `whk_…`, `evt_…`, `dlv_…`: 22 base62 characters, increasing within this process. */
export function newSortableId(prefix: string, now = Date.now()): string {
  // A caller-supplied or backwards clock never reorders ids: stay on the latest millisecond.
  if (now > lastMs) {
    lastMs = now;
    lastMsEncoded = base62(lastMs, 8);
    sequence = 0;
  } else if (++sequence >= 62 ** 4) {
    lastMs++;
    lastMsEncoded = base62(lastMs, 8);
    sequence = 0;
  }
  return `${prefix}_${lastMsEncoded}${base62(sequence, 4)}${randomBase62(10)}`;
}
