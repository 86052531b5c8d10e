// API keys on SQLite. The gate's lookup by hash is one prepared statement over the unique index
// on `key_hash`; `last_used_at` refreshes go through the group commit, off the request's path.
import { and, desc, eq, isNull, ne, sql } from "drizzle-orm";
import type { ApiKeyFilter, ApiKeyRecord, ApiKeyStore, NewApiKeyRecord, UnrevokedKey } from "../aggregates/api-keys";
import type { Page, PageRequest } from "../aggregates/page";
import type { Db } from "../client";
import { commitSoon } from "../group-commit";
import { apiKeys } from "../schema";
import type { SqliteTenantStore } from "./tenants";
import { pageOf, rowIdOfCursor } from "./rowid-page";
import { compile, param } from "./sql";

const p = sql.placeholder;
const rowId = sql<number>`${apiKeys}.rowid`;

/** An ApiKeyRecord's columns: everything but the hash, which only the gate's read returns. */
const recordColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  kind: apiKeys.kind,
  tenantId: apiKeys.tenantId,
  canPublish: apiKeys.canPublish,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
};

function statements(db: Db) {
  return {
    touch: db
      .update(apiKeys)
      .set({ lastUsedAt: sql`${p("now")}` })
      .where(eq(apiKeys.id, p("id")))
      .prepare(),
    byId: db.select(recordColumns).from(apiKeys).where(eq(apiKeys.id, p("id"))).prepare(),
    idByHash: db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.keyHash, p("hash"))).prepare(),
    insert: db
      .insert(apiKeys)
      .values({
        id: p("id"),
        name: p("name"),
        keyHash: p("keyHash"),
        kind: p("kind"),
        tenantId: p("tenantId"),
        canPublish: p("canPublish"),
        expiresAt: p("expiresAt"),
        createdAt: p("createdAt"),
      })
      .prepare(),
    // Every filter in one statement: a null parameter turns its condition off.
    list: db
      .select({ rowId, row: recordColumns })
      .from(apiKeys)
      .where(
        sql`(${p("before")} IS NULL OR ${rowId} < ${p("before")})
          AND (${p("anyTenant")} = 1 OR ${apiKeys.tenantId} IS ${p("tenantId")})
          AND (${p("kind")} IS NULL OR ${apiKeys.kind} = ${p("kind")})`,
      )
      .orderBy(desc(rowId))
      .limit(p("limit"))
      .prepare(),
    revoke: db
      .update(apiKeys)
      .set({ revokedAt: sql`${p("now")}` })
      .where(and(eq(apiKeys.id, p("id")), isNull(apiKeys.revokedAt)))
      .prepare(),
    revokeOtherAdminKeys: db
      .update(apiKeys)
      .set({ revokedAt: sql`${p("now")}` })
      .where(and(eq(apiKeys.name, p("name")), isNull(apiKeys.revokedAt), ne(apiKeys.keyHash, p("hash"))))
      .prepare(),
    unrevoke: db.update(apiKeys).set({ revokedAt: null }).where(eq(apiKeys.id, p("id"))).prepare(),
    anyUnrevoked: db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(isNull(apiKeys.revokedAt), eq(apiKeys.kind, "api_key")))
      .limit(1)
      .prepare(),
  };
}

/** better-sqlite3 binds no booleans. */
const bindable = (key: NewApiKeyRecord) => ({ ...key, canPublish: key.canPublish ? 1 : 0 });

export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly s;

  /**
   * The gate's read, on every API request: a bare statement with positional rows, not a Drizzle
   * query, whose per-call placeholder filling and row mapping cost as much as the read itself.
   */
  private readonly byHash;

  constructor(
    private readonly db: Db,
    private readonly tenants: SqliteTenantStore,
  ) {
    this.s = statements(db);
    const k = apiKeys;
    this.byHash = compile(
      db.$client,
      sql`SELECT ${k.id}, ${k.keyHash}, ${k.tenantId}, ${k.canPublish}, ${k.kind}, ${k.expiresAt}, ${k.lastUsedAt}
            FROM ${k} WHERE ${k.keyHash} = ${param("hash")} AND ${k.revokedAt} IS NULL`,
    ).raw(true);
  }

  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord | undefined> {
    return this.db.transaction(
      () => {
        if (key.tenantId !== null && !this.tenants.existsNow(key.tenantId)) return undefined;
        this.s.insert.run(bindable(key));
        return this.s.byId.get({ id: key.id });
      },
      { behavior: "immediate" },
    );
  }

  async findUnrevoked(keyHash: string): Promise<UnrevokedKey | undefined> {
    const row = this.byHash.get({ hash: keyHash }) as [string, string, string | null, number, UnrevokedKey["kind"], number | null, number | null] | undefined;
    if (!row) return undefined;
    const [id, hash, tenantId, canPublish, kind, expiresAt, lastUsedAt] = row;
    return { id, keyHash: hash, tenantId, canPublish: canPublish === 1, kind, expiresAt, lastUsedAt };
  }

  touch(id: string, now: number): Promise<void> {
    return commitSoon(this.db, () => void this.s.touch.run({ id, now }), { singleStatement: true });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.s.byId.get({ id });
  }

  async list(filter: ApiKeyFilter, page: PageRequest): Promise<Page<ApiKeyRecord>> {
    const rows = this.s.list.all({
      before: rowIdOfCursor(page.cursor),
      anyTenant: filter.tenantId === undefined ? 1 : 0,
      tenantId: filter.tenantId ?? null,
      kind: filter.kind ?? null,
      limit: page.limit + 1,
    });
    return pageOf(rows, page.limit, (r) => r.row);
  }

  async revoke(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    this.s.revoke.run({ id, now });
    return this.s.byId.get({ id });
  }

  async registerAdminKey(key: NewApiKeyRecord): Promise<void> {
    this.db.transaction(
      () => {
        this.s.revokeOtherAdminKeys.run({ name: key.name, hash: key.keyHash, now: key.createdAt });
        // Configured again after being revoked (by hand): the operator's explicit choice wins.
        const existing = this.s.idByHash.get({ hash: key.keyHash });
        if (existing) this.s.unrevoke.run({ id: existing.id });
        else this.s.insert.run(bindable(key));
      },
      { behavior: "immediate" },
    );
  }

  async createIfNoKeys(key: NewApiKeyRecord): Promise<boolean> {
    return this.db.transaction(
      () => {
        if (this.s.anyUnrevoked.get()) return false;
        this.s.insert.run(bindable(key));
        return true;
      },
      { behavior: "immediate" },
    );
  }
}
