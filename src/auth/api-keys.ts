// API keys (docs/tenancy.md): only their SHA-256 is stored; a presented key is hashed, looked
// up, and the stored hash compared in constant time. A key is either a platform key (no
// tenant: acts on every tenant) or a tenant key; portal links hold a short-lived tenant key.
// Every request reads the key's row: nothing in memory could miss a revocation made by another
// process or node, so a revoked or expired key is refused on the very next request.
import { timingSafeEqual } from "node:crypto";
import { and, desc, eq, isNull, lt, ne, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { apiKeys } from "../db/schema";
import { NotFound } from "../http/errors";
import { parsePage, toPage } from "../http/pagination";
import { iso, newId, newSortableId, randomBase62 } from "../ids";

export const API_KEY_PREFIX = "hr_";
export const PORTAL_TOKEN_PREFIX = "hrp_";

/** Bun's one-shot hash: cheaper than a node:crypto Hash object per call, on every API request. */
export function sha256Hex(value: string): string {
  return Bun.SHA256.hash(value, "hex");
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(40);
}

export type ApiKeyKind = "api_key" | "portal";

/** Who is calling: what the gate learnt from the key's row. */
export interface Caller {
  keyId: string;
  /** Null for a platform key. */
  tenantId: string | null;
  canPublish: boolean;
  kind: ApiKeyKind;
}

export interface NewApiKey {
  name: string;
  tenantId?: string | null;
  canPublish?: boolean;
  expiresAt?: number | null;
  kind?: ApiKeyKind;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  /** Shown once, at creation. */
  key: string;
}

export function createApiKey(db: Db, input: NewApiKey, key = generateApiKey()): CreatedApiKey {
  const now = Date.now();
  const id = newSortableId("key", now);
  const tenantId = input.tenantId ?? null;
  db.insert(apiKeys)
    .values({
      id,
      name: input.name,
      keyHash: sha256Hex(key),
      createdAt: now,
      tenantId,
      // Platform keys publish unless told otherwise; tenant keys only when created to.
      canPublish: input.canPublish ?? tenantId === null,
      expiresAt: input.expiresAt ?? null,
      kind: input.kind ?? "api_key",
    })
    .run();
  return { id, name: input.name, key };
}

// Runs on every /api/v1 request: compiled once per connection.
const keyByHash = preparedPer((db) =>
  db
    .select({
      id: apiKeys.id,
      keyHash: apiKeys.keyHash,
      tenantId: apiKeys.tenantId,
      canPublish: apiKeys.canPublish,
      kind: apiKeys.kind,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sql.placeholder("hash")), isNull(apiKeys.revokedAt)))
    .prepare(),
);

/** `last_used_at` is refreshed when it is older than this: at most one write per key per minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface VerifiedKey extends Caller {
  /** The stored `last_used_at` is stale: the caller should refresh it (see touchApiKey). */
  stale: boolean;
}

/** The caller behind a presented key, when the key exists, is not revoked and has not expired. */
export function verifyApiKey(db: Db, presented: string, now = Date.now()): VerifiedKey | undefined {
  const hash = sha256Hex(presented);
  const row = keyByHash(db).get({ hash });
  if (!row) return undefined;
  if (!timingSafeEqual(Buffer.from(row.keyHash, "hex"), Buffer.from(hash, "hex"))) return undefined;
  if (row.expiresAt !== null && row.expiresAt <= now) return undefined;
  return {
    keyId: row.id,
    tenantId: row.tenantId,
    canPublish: row.canPublish,
    kind: row.kind,
    stale: row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS,
  };
}

const touch = preparedPer((db) =>
  db.update(apiKeys).set({ lastUsedAt: sql.placeholder("now") as unknown as number }).where(eq(apiKeys.id, sql.placeholder("id"))).prepare(),
);

export function touchApiKey(db: Db, keyId: string, now = Date.now()): void {
  touch(db).run({ id: keyId, now });
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  kind: ApiKeyKind;
  tenant_id: string | null;
  can_publish: boolean;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  const at = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    tenant_id: row.tenantId,
    can_publish: row.canPublish,
    created_at: iso(row.createdAt),
    last_used_at: at(row.lastUsedAt),
    expires_at: at(row.expiresAt),
    revoked_at: at(row.revokedAt),
  };
}

export function getApiKey(db: Db, id: string): ApiKeyInfo {
  const row = db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
  if (!row) throw new NotFound(`No API key with id ${id}`);
  return toInfo(row);
}

export interface ApiKeyListOptions {
  limit?: string;
  cursor?: string;
  /** Only the keys of this tenant; `null` only platform keys; undefined every key. */
  tenantId?: string | null;
  kind?: ApiKeyKind;
}

/** Newest first. A rare, operator-only read: built per call. */
export function listApiKeys(db: Db, options: ApiKeyListOptions) {
  const { limit, beforeRowId } = parsePage(options);
  const rowId = sql<number>`${apiKeys}.rowid`;
  const where: SQL[] = [];
  if (beforeRowId !== undefined) where.push(lt(rowId, beforeRowId));
  if (options.tenantId === null) where.push(isNull(apiKeys.tenantId));
  else if (options.tenantId !== undefined) where.push(eq(apiKeys.tenantId, options.tenantId));
  if (options.kind) where.push(eq(apiKeys.kind, options.kind));
  const rows = db.select({ rowId, row: apiKeys }).from(apiKeys).where(and(...where)).orderBy(desc(rowId)).limit(limit + 1).all();
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map((r) => toInfo(r.row)), pagination };
}

/** Revokes a key (again: a no-op that keeps the first time). Effective on the next request. */
export function revokeApiKey(db: Db, id: string, now = Date.now()): ApiKeyInfo {
  db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).run();
  return getApiKey(db, id);
}

export function countApiKeys(db: Db): number {
  return db.select({ id: apiKeys.id }).from(apiKeys).where(and(isNull(apiKeys.revokedAt), eq(apiKeys.kind, "api_key"))).all().length;
}

export const ENV_ADMIN_KEY_NAME = "admin (ADMIN_API_KEY)";
export const GENERATED_ADMIN_KEY_NAME = "admin (generated)";

/**
 * Start-up bootstrap (README, Configuration): ADMIN_API_KEY is registered as a platform key if it is not yet; with no
 * key at all a new one is generated and returned so the caller can print it once.
 * Changing ADMIN_API_KEY is how an operator rotates a leaked admin key, so the key an earlier
 * ADMIN_API_KEY registered is revoked; keys made with `keys create` are left alone.
 */
export function bootstrapApiKey(db: Db, adminApiKey: string | undefined): CreatedApiKey | undefined {
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
    return undefined;
  }
  if (countApiKeys(db) > 0) return undefined;
  return createApiKey(db, { name: GENERATED_ADMIN_KEY_NAME });
}
