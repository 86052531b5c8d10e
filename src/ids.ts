// Random identifiers and secrets. Base62 with rejection sampling, so every character is uniform.
import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would bias the first characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** `whk_…`, `evt_…`, `dlv_…`: 22 base62 characters ≈ 131 bits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// Time-ordered ids for high-volume rows (events, deliveries): 8 base62 characters of the
// millisecond clock, then 14 random ones (≈ 83 bits). BASE62 is in ASCII order, so ids sort by
// creation time and new rows land at the end of the primary-key index instead of on random pages,
// which keeps inserts and updates cheap at millions of rows. Random bytes come from a pool.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function randomByte(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

/** `evt_…`, `dlv_…`: 22 base62 characters, sortable by creation time. */
export function newSortableId(prefix: string, now = Date.now()): string {
  let time = "";
  for (let t = now, i = 0; i < 8; i++, t = Math.floor(t / 62)) time = BASE62[t % 62] + time;
  let random = "";
  while (random.length < 14) {
    const byte = randomByte();
    if (byte < 248) random += BASE62[byte % 62];
  }
  return `${prefix}_${time}${random}`;
}
