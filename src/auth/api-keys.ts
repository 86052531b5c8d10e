// API keys (docs/tenancy.md): only their SHA-256 is stored; a presented key is hashed, looked
// up, and the stored hash compared in constant time. A key is either a platform key (no
// tenant: acts on every tenant) or a tenant key; portal links hold a short-lived tenant key.
// Every request reads the key's row: nothing in memory could miss a revocation made by another
// process or node, so a revoked or expired key is refused on the very next request.
import { timingSafeEqual } from "node:crypto";
import type { ApiKeyKind, ApiKeyRecord, ApiKeyStore, NewApiKeyRecord, UnrevokedKey } from "../db/aggregates/api-keys";
import { NotFound } from "../http/errors";
import { parsePage, toPagination } from "../http/pagination";
import type { Store } from "../db/store";
import { iso, newId, newSortableId, randomBase62 } from "../ids";

export type { ApiKeyKind } from "../db/aggregates/api-keys";

export const API_KEY_PREFIX = "hr_";
export const PORTAL_TOKEN_PREFIX = "hrp_";

/** Bun's one-shot hash: cheaper than a node:crypto Hash object per call, on every API request. */
export function sha256Hex(value: string): string {
  return Bun.SHA256.hash(value, "hex");
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(40);
}

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
  info: ApiKeyInfo;
}

function newKeyRecord(input: NewApiKey, key: string, now: number, id = newSortableId("key", now)): NewApiKeyRecord {
  const tenantId = input.tenantId ?? null;
  return {
    id,
    name: input.name,
    keyHash: sha256Hex(key),
    createdAt: now,
    tenantId,
    // Platform keys publish unless told otherwise; tenant keys only when created to.
    canPublish: input.canPublish ?? tenantId === null,
    expiresAt: input.expiresAt ?? null,
    kind: input.kind ?? "api_key",
  };
}

/** Stores a new key; 404 when its tenant does not exist (any more). */
export async function createApiKey(keys: ApiKeyStore, input: NewApiKey, key = generateApiKey()): Promise<CreatedApiKey> {
  const record = await keys.create(newKeyRecord(input, key, Date.now()));
  if (!record) throw new NotFound(`No tenant with id ${input.tenantId}`);
  return { id: record.id, name: record.name, key, info: toInfo(record) };
}

/** `last_used_at` is refreshed when it is older than this: at most one write per key per minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface VerifiedKey extends Caller {
  /** The stored `last_used_at` is stale: the caller should refresh it (ApiKeyStore.touch). */
  stale: boolean;
}

/** The caller behind a presented key, when the key exists, is not revoked and has not expired. */
export async function verifyApiKey(keys: ApiKeyStore, presented: string, now = Date.now()): Promise<VerifiedKey | undefined> {
  const hash = sha256Hex(presented);
  return verifiedKey(await keys.findUnrevoked(hash), hash, now);
}

/** The gate's check of the row found by `hash` (split from verifyApiKey so the gate awaits once). */
export function verifiedKey(row: UnrevokedKey | undefined, hash: string, now = Date.now()): VerifiedKey | undefined {
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

function toInfo(row: ApiKeyRecord): ApiKeyInfo {
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

export async function getApiKey(keys: ApiKeyStore, id: string): Promise<ApiKeyInfo> {
  const row = await keys.get(id);
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

/** Newest first. */
export async function listApiKeys({ apiKeys: keys, cursors }: Pick<Store, "apiKeys" | "cursors">, options: ApiKeyListOptions) {
  const { limit } = parsePage(options, cursors);
  const filter = { ...(options.tenantId !== undefined && { tenantId: options.tenantId }), ...(options.kind && { kind: options.kind }) };
  const found = await keys.list(filter, { limit, cursor: options.cursor });
  return { data: found.rows.map(toInfo), pagination: toPagination(found.nextCursor) };
}

/** Revokes a key (again: a no-op that keeps the first time). Effective on the next request. */
export async function revokeApiKey(keys: ApiKeyStore, id: string, now = Date.now()): Promise<ApiKeyInfo> {
  const row = await keys.revoke(id, now);
  if (!row) throw new NotFound(`No API key with id ${id}`);
  return toInfo(row);
}

export const ENV_ADMIN_KEY_NAME = "admin (ADMIN_API_KEY)";
export const GENERATED_ADMIN_KEY_NAME = "admin (generated)";

/**
 * Start-up bootstrap (README, Configuration): ADMIN_API_KEY is registered as a platform key if it is not yet; with no
 * key at all a new one is generated and returned so the caller can print it once.
 * Changing ADMIN_API_KEY is how an operator rotates a leaked admin key, so the key an earlier
 * ADMIN_API_KEY registered is revoked; keys made with `keys create` are left alone.
 */
export async function bootstrapApiKey(keys: ApiKeyStore, adminApiKey: string | undefined): Promise<Omit<CreatedApiKey, "info"> | undefined> {
  const now = Date.now();
  if (adminApiKey) {
    await keys.registerAdminKey(newKeyRecord({ name: ENV_ADMIN_KEY_NAME }, adminApiKey, now, newId("key")));
    return undefined;
  }
  const key = generateApiKey();
  const record = newKeyRecord({ name: GENERATED_ADMIN_KEY_NAME }, key, now);
  return (await keys.createIfNoKeys(record)) ? { id: record.id, name: record.name, key } : undefined;
}
