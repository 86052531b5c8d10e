// Tenants over the store: plain functions, no HTTP (docs/tenancy.md).
import type { TenantRecord, TenantStore } from "../db/aggregates/tenants";
import { DEFAULT_TENANT } from "../db/schema";
import { Conflict, NotFound, rejectInvalidFields, type FieldError } from "../http/errors";
import { parsePage, toPagination } from "../http/pagination";
import type { Store } from "../db/store";
import { iso } from "../ids";
import type { PutTenantBody, Tenant } from "./model";

const MAX_METADATA_BYTES = 16 * 1024;

function toTenant(row: TenantRecord): Tenant {
  return { id: row.id, name: row.name, metadata: row.metadata, created_at: iso(row.createdAt), updated_at: iso(row.updatedAt) };
}

export async function getTenant(tenants: TenantStore, id: string): Promise<Tenant> {
  const row = await tenants.get(id);
  if (!row) throw new NotFound(`No tenant with id ${id}`);
  return toTenant(row);
}

/** The rules of a tenant body its schema cannot express (its `fieldChecks` too). */
export function putTenantFieldErrors(input: { metadata?: unknown }): FieldError[] {
  if (input.metadata === undefined || Buffer.byteLength(JSON.stringify(input.metadata) ?? "") <= MAX_METADATA_BYTES) return [];
  return [{ field: "metadata", message: "Must be a JSON object of at most 16 KiB" }];
}

/** Creates the tenant, or updates the fields given. Answers whether it was created. */
export async function putTenant(tenants: TenantStore, id: string, input: PutTenantBody, now = Date.now()): Promise<{ tenant: Tenant; created: boolean }> {
  rejectInvalidFields(putTenantFieldErrors(input));
  const { tenant, created } = await tenants.put(id, { name: input.name, metadata: input.metadata as Record<string, unknown> | undefined }, now);
  return { tenant: toTenant(tenant), created };
}

/** Oldest first would bury new customers: newest first, like every list. */
export async function listTenants({ tenants, cursors }: Pick<Store, "tenants" | "cursors">, options: { limit?: string; cursor?: string }) {
  const { limit } = parsePage(options, cursors);
  const found = await tenants.list({ limit, cursor: options.cursor });
  return { data: found.rows.map(toTenant), pagination: toPagination(found.nextCursor) };
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
export async function deleteTenant(tenants: TenantStore, id: string): Promise<RemovedWithTenant> {
  if (id === DEFAULT_TENANT) throw new Conflict("The default tenant always exists and cannot be deleted");
  const removed = await tenants.delete(id);
  if (!removed) throw new NotFound(`No tenant with id ${id}`);
  return { webhooks: removed.webhooks, events: removed.events, deliveries: removed.deliveries, api_keys: removed.apiKeys };
}
