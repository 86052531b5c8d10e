// API keys: only their SHA-256 is stored; a presented key is hashed, looked up, and the stored
// hash compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { apiKeys } from "../db/schema";
import { newId, randomBase62 } from "../ids";

export const API_KEY_PREFIX = "hr_";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
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

/** Returns the key's id when it is known and not revoked. */
export function verifyApiKey(db: Db, presented: string): string | undefined {
  const hash = sha256Hex(presented);
  const row = activeKeyByHash(db).get({ hash });
  if (!row) return undefined;
  const same = timingSafeEqual(Buffer.from(row.keyHash, "hex"), Buffer.from(hash, "hex"));
  return same ? row.id : undefined;
}

export function countApiKeys(db: Db): number {
  return db.select({ id: apiKeys.id }).from(apiKeys).where(isNull(apiKeys.revokedAt)).all().length;
}

/**
 * Start-up bootstrap (DESIGN.md §6): ADMIN_API_KEY is registered if it is not yet; with no
 * key at all a new one is generated and returned so the caller can print it once.
 */
export function bootstrapApiKey(db: Db, adminApiKey: string | undefined): string | undefined {
  if (adminApiKey) {
    if (!verifyApiKey(db, adminApiKey)) createApiKey(db, "admin (ADMIN_API_KEY)", adminApiKey);
    return undefined;
  }
  if (countApiKeys(db) > 0) return undefined;
  return createApiKey(db, "admin (generated)").key;
}
