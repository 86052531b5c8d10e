// Tenants on PostgreSQL. A PUT is one upsert (nodes creating the same tenant at once make one
// row); a delete locks the tenant row, then takes its keys, webhooks and events in the same
// transaction, and deliveries and attempts cascade from their event and webhook.
import { count, desc, eq, inArray, sql } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type { Page, PageRequest } from "../aggregates/page";
import type { RemovedWithTenant, TenantChanges, TenantRecord, TenantStore } from "../aggregates/tenants";
import { beforeCursor, keysetPage } from "./keyset-page";
import { apiKeys, deliveries, events, tenants as t, webhooks } from "./schema";

type TenantRow = typeof t.$inferSelect;

function toRecord(row: TenantRow): TenantRecord {
  return { id: row.id, name: row.name, metadata: JSON.parse(row.metadata), createdAt: row.createdAt, updatedAt: row.updatedAt };
}

export class PostgresTenantStore implements TenantStore {
  private readonly s;

  constructor(private readonly db: BunSQLDatabase) {
    this.s = { byId: db.select().from(t).where(eq(t.id, sql.placeholder("id"))).prepare("tenant_by_id") };
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    const [row] = await this.s.byId.execute({ id });
    return row && toRecord(row);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.s.byId.execute({ id })).length > 0;
  }

  async put(id: string, changes: TenantChanges, now: number): Promise<{ tenant: TenantRecord; created: boolean }> {
    const metadata = changes.metadata === undefined ? undefined : JSON.stringify(changes.metadata);
    const [row] = await this.db
      .insert(t)
      .values({ id, name: changes.name ?? null, metadata: metadata ?? "{}", createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: t.id,
        // Absent fields keep their value.
        set: {
          name: changes.name === undefined ? sql`${t.name}` : sql.raw(`excluded.${t.name.name}`),
          metadata: metadata === undefined ? sql`${t.metadata}` : sql.raw(`excluded.${t.metadata.name}`),
          updatedAt: now,
        },
      })
      // xmax is 0 on a row this statement inserted, set on one it updated.
      .returning({ id: t.id, name: t.name, metadata: t.metadata, createdAt: t.createdAt, updatedAt: t.updatedAt, created: sql<boolean>`(xmax = 0)` });
    const { created, ...tenant } = row!;
    return { tenant: toRecord(tenant), created };
  }

  async list(page: PageRequest): Promise<Page<TenantRecord>> {
    const rows = await this.db
      .select()
      .from(t)
      .where(beforeCursor(t.createdAt, t.id, page.cursor))
      .orderBy(desc(t.createdAt), desc(t.id))
      .limit(page.limit + 1);
    const { rows: pageRows, nextCursor } = keysetPage(rows, page.limit);
    return { rows: pageRows.map(toRecord), nextCursor };
  }

  async delete(id: string): Promise<RemovedWithTenant | undefined> {
    return this.db.transaction(async (tx) => {
      const [tenant] = await tx.select({ id: t.id }).from(t).where(eq(t.id, id)).for("update");
      if (!tenant) return undefined;
      const [deliveriesRemoved] = await tx
        .select({ n: count() })
        .from(deliveries)
        .where(inArray(deliveries.eventId, tx.select({ id: events.id }).from(events).where(eq(events.tenantId, id))));
      const removed: RemovedWithTenant = {
        apiKeys: (await tx.delete(apiKeys).where(eq(apiKeys.tenantId, id)).returning({ id: apiKeys.id })).length,
        events: (await tx.delete(events).where(eq(events.tenantId, id)).returning({ id: events.id })).length,
        webhooks: (await tx.delete(webhooks).where(eq(webhooks.tenantId, id)).returning({ id: webhooks.id })).length,
        deliveries: deliveriesRemoved?.n ?? 0,
      };
      await tx.delete(t).where(eq(t.id, id));
      return removed;
    });
  }
}
