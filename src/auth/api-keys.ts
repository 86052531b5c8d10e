// API keys: only their SHA-256 is stored; a presented key is hashed, looked up, and the stored
// hash compared in constant time.
import { timingSafeEqual } from "node:crypto";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { dataVersionOf } from "../db/data-version";
import { preparedPer } from "../db/prepared";
import { apiKeys } from "../db/schema";
import { newId, randomBase62 } from "../ids";

export const API_KEY_PREFIX = "hr_";

/** Bun's one-shot hash: a node:crypto Hash object per call cost 0.6 µs more, on every API request. */
export function sha256Hex(value: string): string {
  return Bun.SHA256.hash(value, "hex");
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(40);
}

export interface CreatedApiKey {
  id: string;
  name: string;
  /** Shown once, at creation. */
  key: string;
}

export function createApiKey(db: Db, name: string, key = generateApiKey()): CreatedApiKey {
  const id = newId("key");
  db.insert(apiKeys).values({ id, name, keyHash: sha256Hex(key), createdAt: Date.now() }).run();
  forgetVerifiedApiKeys(db);
  return { id, name, key };
}

// Runs on every /api/v1 request, so it is compiled once per connection.
const activeKeyByHash = preparedPer((db) =>
  db
    .select({ id: apiKeys.id, keyHash: apiKeys.keyHash })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sql.placeholder("hash")), isNull(apiKeys.revokedAt)))
    .prepare(),
);

/**
 * Keys that verified, by hash, per connection: the gate runs on every /api/v1 request and the
 * key table almost never changes. Correctness rests on two invalidations: every write this
 * module makes to api_keys drops the cache (so a revocation by this server holds from the next
 * request on), and SQLite's `data_version` changes whenever another connection (the CLI,
 * another process) commits, so a key revoked anywhere else stops working within
 * OTHER_WRITERS_CHECK_MS. `data_version` is read at most that often, not per request: each
 * read opens and closes a read transaction, 2.5 of the ~35 µs a create costs in-process.
 * (No command revokes keys from outside the server today.) Only successes are cached, so a wrong key
 * cannot grow it; the bound is a backstop.
 */
interface VerifiedKeys {
  dataVersion: number;
  idByHash: Map<string, string>;
  /** When data_version was last read. */
  checkedAt: number;
}
/** How stale a cache may be with respect to other processes' writes. */
const OTHER_WRITERS_CHECK_MS = 1000;
const MAX_CACHED_KEYS = 1000;
const verifiedKeys = new WeakMap<Db, VerifiedKeys>();

function verifiedKeysOf(db: Db): VerifiedKeys {
  let cache = verifiedKeys.get(db);
  // A monotonic clock: a wall clock stepped back would postpone the next check by as much.
  const now = performance.now();
  if (cache && now - cache.checkedAt < OTHER_WRITERS_CHECK_MS) return cache;
  const version = dataVersionOf(db);
  if (!cache || cache.dataVersion !== version) {
    cache = { dataVersion: version, idByHash: new Map(), checkedAt: now };
    verifiedKeys.set(db, cache);
  }
  cache.checkedAt = now;
  return cache;
}

/** Call after any write to api_keys through `db` (another connection's writes are noticed by themselves). */
export function forgetVerifiedApiKeys(db: Db): void {
  verifiedKeys.delete(db);
}

/** Returns the key's id when it is known and not revoked. */
export function verifyApiKey(db: Db, presented: string): string | undefined {
  const hash = sha256Hex(presented);
  const cache = verifiedKeysOf(db);
  const cached = cache.idByHash.get(hash);
  if (cached !== undefined) return cached;
  const row = activeKeyByHash(db).get({ hash });
  if (!row) return undefined;
  const same = timingSafeEqual(Buffer.from(row.keyHash, "hex"), Buffer.from(hash, "hex"));
  if (!same) return undefined;
  if (cache.idByHash.size >= MAX_CACHED_KEYS) cache.idByHash.clear();
  cache.idByHash.set(hash, row.id);
  return row.id;
}

export function countApiKeys(db: Db): number {
  return db.select({ id: apiKeys.id }).from(apiKeys).where(isNull(apiKeys.revokedAt)).all().length;
}

export const ENV_ADMIN_KEY_NAME = "admin (ADMIN_API_KEY)";

/**
 * Start-up bootstrap (README, Configuration): ADMIN_API_KEY is registered if it is not yet; with no
 * key at all a new one is generated and returned so the caller can print it once.
 * Changing ADMIN_API_KEY is how an operator rotates a leaked admin key, so the key an earlier
 * ADMIN_API_KEY registered is revoked; keys made with `keys create` are left alone.
 */
export function bootstrapApiKey(db: Db, adminApiKey: string | undefined): string | undefined {
  if (adminApiKey) {
    const hash = sha256Hex(adminApiKey);
    const now = Date.now();
    db.transaction((tx) => {
      tx.update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.name, ENV_ADMIN_KEY_NAME), isNull(apiKeys.revokedAt), ne(apiKeys.keyHash, hash)))
        .run();
      // Configured again after being revoked (by hand): the operator's explicit choice wins.
      const existing = tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.keyHash, hash)).get();
      if (existing) tx.update(apiKeys).set({ revokedAt: null }).where(eq(apiKeys.id, existing.id)).run();
      else tx.insert(apiKeys).values({ id: newId("key"), name: ENV_ADMIN_KEY_NAME, keyHash: hash, createdAt: now }).run();
    });
    forgetVerifiedApiKeys(db);
    return undefined;
  }
  if (countApiKeys(db) > 0) return undefined;
  return createApiKey(db, "admin (generated)").key;
}
