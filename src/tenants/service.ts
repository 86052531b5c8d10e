// Tenants over the database: plain functions, no HTTP (docs/tenancy.md).
import { and, count, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { apiKeys, DEFAULT_TENANT, deliveries, events, tenants, webhooks } from "../db/schema";
import { Conflict, NotFound, rejectInvalidFields, type FieldError } from "../http/errors";
import { parsePage, toPage } from "../http/pagination";
import { iso } from "../ids";
import type { PutTenantBody, Tenant } from "./model";

const MAX_METADATA_BYTES = 16 * 1024;

type TenantRow = typeof tenants.$inferSelect;

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    metadata: JSON.parse(row.metadata),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const tenantById = preparedPer((db) => db.select().from(tenants).where(eq(tenants.id, sql.placeholder("id"))).prepare());

export function tenantExists(db: Db, id: string): boolean {
  return tenantById(db).get({ id }) !== undefined;
}

export function getTenant(db: Db, id: string): Tenant {
  const row = tenantById(db).get({ id });
  if (!row) throw new NotFound(`No tenant with id ${id}`);
  return toTenant(row);
}

/** Creates the tenant, or updates the fields given. Answers whether it was created. */
/** The rules of a tenant body its schema cannot express (its `fieldChecks` too). */
export function putTenantFieldErrors(input: { metadata?: unknown }): FieldError[] {
  if (input.metadata === undefined || Buffer.byteLength(JSON.stringify(input.metadata) ?? "") <= MAX_METADATA_BYTES) return [];
  return [{ field: "metadata", message: "Must be a JSON object of at most 16 KiB" }];
}

export function putTenant(db: Db, id: string, input: PutTenantBody, now = Date.now()): { tenant: Tenant; created: boolean } {
  rejectInvalidFields(putTenantFieldErrors(input));
  const metadata = input.metadata === undefined ? undefined : JSON.stringify(input.metadata);
  return db.transaction(
    () => {
      const existing = tenantById(db).get({ id });
      if (!existing) {
        db.insert(tenants).values({ id, name: input.name ?? null, metadata: metadata ?? "{}", createdAt: now, updatedAt: now }).run();
      } else {
        const changes: Partial<TenantRow> = { updatedAt: now };
        if (input.name !== undefined) changes.name = input.name;
        if (metadata !== undefined) changes.metadata = metadata;
        db.update(tenants).set(changes).where(eq(tenants.id, id)).run();
      }
      return { tenant: getTenant(db, id), created: !existing };
    },
    { behavior: "immediate" },
  );
}

/** Oldest first would bury new customers: newest first, like every list. */
export function listTenants(db: Db, options: { limit?: string; cursor?: string }) {
  const { limit, beforeRowId } = parsePage(options);
  const rowId = sql<number>`${tenants}.rowid`;
  const where: SQL[] = beforeRowId === undefined ? [] : [lt(rowId, beforeRowId)];
  const rows = db.select({ rowId, row: tenants }).from(tenants).where(and(...where)).orderBy(desc(rowId)).limit(limit + 1).all();
  const { rows: pageRows, pagination } = toPage(rows, limit);
  return { data: pageRows.map((r) => toTenant(r.row)), pagination };
}

export interface RemovedWithTenant {
  webhooks: number;
  events: number;
  deliveries: number;
  api_keys: number;
}

/**
 * Deletes the tenant with everything it owns, in one transaction: its API keys (and portal
 * links), its webhooks and events, and through them every delivery and attempt.
 */
export function deleteTenant(db: Db, id: string): RemovedWithTenant {
  if (id === DEFAULT_TENANT) throw new Conflict("The default tenant always exists and cannot be deleted");
  return db.transaction(
    () => {
      if (!tenantById(db).get({ id })) throw new NotFound(`No tenant with id ${id}`);
      // Counted through the events (every delivery has one): both lookups walk an index.
      const ownEvents = db.select({ id: events.id }).from(events).where(eq(events.tenantId, id));
      const removedDeliveries = db.select({ n: count() }).from(deliveries).where(inArray(deliveries.eventId, ownEvents)).get()?.n ?? 0;
      // Deliveries and attempts cascade from their event and their webhook.
      const removed: RemovedWithTenant = {
        api_keys: db.delete(apiKeys).where(eq(apiKeys.tenantId, id)).run().changes,
        events: db.delete(events).where(eq(events.tenantId, id)).run().changes,
        webhooks: db.delete(webhooks).where(eq(webhooks.tenantId, id)).run().changes,
        deliveries: removedDeliveries,
      };
      db.delete(tenants).where(eq(tenants.id, id)).run();
      return removed;
    },
    { behavior: "immediate" },
  );
}
