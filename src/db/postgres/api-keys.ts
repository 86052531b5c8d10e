// API keys on PostgreSQL. The gate's lookup by hash reads the unique index on `key_hash` on every
// request, uncached, so a key revoked through any node is refused by every node on its next
// request. Creating a key checks its tenant under a key-share lock (a concurrent tenant delete
// waits); the bootstrap paths are race-free across nodes starting at once.
import { and, desc, eq, isNull, ne, sql } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { ApiKeyFilter, ApiKeyRecord, ApiKeyStore, NewApiKeyRecord, UnrevokedKey } from "../aggregates/api-keys";
import type { Page, PageRequest } from "../aggregates/page";
import { beforeCursor, keysetPage } from "./keyset-page";
import { apiKeys as k, tenants } from "./schema";

/** The transaction-level advisory lock of "is there any key yet?" ("hkrlkeys" in ASCII). */
const FIRST_KEY_LOCK = sql.raw("7524233412436392307");

const record = {
  id: k.id,
  name: k.name,
  kind: k.kind,
  tenantId: k.tenantId,
  canPublish: k.canPublish,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
};

export class PostgresApiKeyStore implements ApiKeyStore {
  private readonly s;

  constructor(private readonly db: BunSQLDatabase) {
    const p = sql.placeholder;
    this.s = {
      byHash: db
        .select({ id: k.id, keyHash: k.keyHash, tenantId: k.tenantId, canPublish: k.canPublish, kind: k.kind, expiresAt: k.expiresAt, lastUsedAt: k.lastUsedAt })
        .from(k)
        .where(and(eq(k.keyHash, p("hash")), isNull(k.revokedAt)))
        .prepare("api_key_by_hash"),
      byId: db.select(record).from(k).where(eq(k.id, p("id"))).prepare("api_key_by_id"),
      // A refresh that would not move the time writes nothing.
      touch: db
        .update(k)
        .set({ lastUsedAt: sql`${p("now")}` })
        .where(and(eq(k.id, p("id")), sql`${k.lastUsedAt} IS DISTINCT FROM ${p("now")}`))
        .prepare("api_key_touch"),
      revoke: db
        .update(k)
        .set({ revokedAt: sql`coalesce(${k.revokedAt}, ${p("now")})` })
        .where(eq(k.id, p("id")))
        .returning(record)
        .prepare("api_key_revoke"),
    };
  }

  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord | undefined> {
    // One statement: the row goes in only if its tenant exists, and stays so until commit.
    const tenantExists = key.tenantId === null ? sql`true` : sql`EXISTS (SELECT 1 FROM ${tenants} WHERE ${tenants.id} = ${key.tenantId} FOR KEY SHARE)`;
    const rows = await this.db.execute<{ id: string }>(sql`
      INSERT INTO ${k} (${sql.identifier(k.id.name)}, ${sql.identifier(k.name.name)}, ${sql.identifier(k.keyHash.name)}, ${sql.identifier(k.kind.name)},
                        ${sql.identifier(k.tenantId.name)}, ${sql.identifier(k.canPublish.name)}, ${sql.identifier(k.expiresAt.name)}, ${sql.identifier(k.createdAt.name)})
      SELECT ${key.id}, ${key.name}, ${key.keyHash}, ${key.kind}, ${key.tenantId}, ${key.canPublish}, ${key.expiresAt}::int8, ${key.createdAt}::int8
       WHERE ${tenantExists}
      RETURNING ${sql.identifier(k.id.name)}`);
    return [...rows].length > 0 ? this.get(key.id) : undefined;
  }

  async findUnrevoked(keyHash: string): Promise<UnrevokedKey | undefined> {
    return (await this.s.byHash.execute({ hash: keyHash }))[0];
  }

  async touch(id: string, now: number): Promise<void> {
    await this.s.touch.execute({ id, now });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return (await this.s.byId.execute({ id }))[0];
  }

  async list(filter: ApiKeyFilter, page: PageRequest): Promise<Page<ApiKeyRecord>> {
    const tenant = filter.tenantId === undefined ? sql`true` : filter.tenantId === null ? isNull(k.tenantId) : eq(k.tenantId, filter.tenantId);
    const rows = await this.db
      .select(record)
      .from(k)
      .where(and(beforeCursor(k.createdAt, k.id, page.cursor), tenant, filter.kind ? eq(k.kind, filter.kind) : undefined))
      .orderBy(desc(k.createdAt), desc(k.id))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit);
  }

  async revoke(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    return (await this.s.revoke.execute({ id, now }))[0];
  }

  async registerAdminKey(key: NewApiKeyRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(k)
        .set({ revokedAt: key.createdAt })
        .where(and(eq(k.name, key.name), isNull(k.revokedAt), ne(k.keyHash, key.keyHash)));
      // Configured again after being revoked (by hand): the operator's explicit choice wins.
      await tx
        .insert(k)
        .values(key)
        .onConflictDoUpdate({ target: k.keyHash, set: { revokedAt: null } });
    });
  }

  async createIfNoKeys(key: NewApiKeyRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Nodes starting at once on an empty database: one of them creates the key.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${FIRST_KEY_LOCK})`);
      const [any] = await tx.select({ id: k.id }).from(k).where(and(isNull(k.revokedAt), eq(k.kind, "api_key"))).limit(1);
      if (any) return false;
      await tx.insert(k).values(key);
      return true;
    });
  }
}
