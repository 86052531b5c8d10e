// A small seeded PRNG (sfc32) so every fuzz run can be replayed from the seed it prints.

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    const total = table.reduce((sum, [w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [w, value] of table) {
      roll -= w;
      if (roll < 0) return value;
    }
    return table[table.length - 1]![1];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

/**
 * FUZZ_SEED if set; else a fresh seed under `bun run soak` (to explore), else the fixed default
 * (so `bun test` is deterministic). Callers print it so any failure can be replayed.
 */
export function seedFromEnv(fallback: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw && /^\d+$/.test(raw)) return Number(raw) >>> 0;
  if (process.env.SOAK === "1") return (Math.random() * 2 ** 32) >>> 0;
  return fallback >>> 0;
}

/** Size multiplier: 10 under SOAK=1 (`bun run soak`), or SOAK_SCALE=n; 1 in a plain `bun test`. */
export function fuzzScale(): number {
  const raw = process.env.SOAK_SCALE;
  if (raw && /^\d+$/.test(raw)) return Number(raw);
  return process.env.SOAK === "1" ? 10 : 1;
}
