// API keys and portal links (docs/tenancy.md): only a key's SHA-256 is stored. A portal link is
// a short-lived tenant key of kind `portal` that cannot publish.
import type { Page, PageRequest } from "./page";

export type ApiKeyKind = "api_key" | "portal";

export interface ApiKeyRecord {
  id: string;
  name: string;
  kind: ApiKeyKind;
  /** Null for a platform key (acts on every tenant). */
  tenantId: string | null;
  canPublish: boolean;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface NewApiKeyRecord {
  id: string;
  name: string;
  /** SHA-256 of the key, hex. */
  keyHash: string;
  kind: ApiKeyKind;
  tenantId: string | null;
  canPublish: boolean;
  expiresAt: number | null;
  createdAt: number;
}

/** What the API-key gate reads of an unrevoked key, on every request. */
export interface UnrevokedKey {
  id: string;
  keyHash: string;
  tenantId: string | null;
  canPublish: boolean;
  kind: ApiKeyKind;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface ApiKeyFilter {
  /** Only this tenant's keys; `null` only platform keys; absent every key. */
  tenantId?: string | null;
  kind?: ApiKeyKind;
}

export interface ApiKeyStore {
  /** Stores a new key; undefined when `tenantId` names no tenant (checked in the same transaction). */
  create(key: NewApiKeyRecord): Promise<ApiKeyRecord | undefined>;
  /**
   * The unrevoked key with this hash: one indexed read on every API request, never cached, so a
   * revocation made by any process is seen on the next request.
   */
  findUnrevoked(keyHash: string): Promise<UnrevokedKey | undefined>;
  /** Refreshes `last_used_at`; may be batched with other writes, a failure only leaves it older. */
  touch(id: string, now: number): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first. */
  list(filter: ApiKeyFilter, page: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Revokes the key (again: keeps the first time); undefined when there is no such key. */
  revoke(id: string, now: number): Promise<ApiKeyRecord | undefined>;
  /**
   * Start-up with ADMIN_API_KEY: revokes the keys an earlier value registered under `key.name`,
   * and registers this one (or un-revokes it, when it was revoked by hand). One transaction.
   */
  registerAdminKey(key: NewApiKeyRecord): Promise<void>;
  /** Start-up without ADMIN_API_KEY: stores `key` only when no unrevoked `api_key` exists. */
  createIfNoKeys(key: NewApiKeyRecord): Promise<boolean>;
}
