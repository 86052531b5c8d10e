// Tenants (docs/tenancy.md): the owners of webhooks, events and tenant keys.
import type { Page, PageRequest } from "./page";

export interface TenantRecord {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** Fields a PUT sets; absent ones keep their value (or their default, on create). */
export interface TenantChanges {
  name?: string | null;
  metadata?: Record<string, unknown>;
}

/** What went with a deleted tenant. */
export interface RemovedWithTenant {
  webhooks: number;
  events: number;
  deliveries: number;
  apiKeys: number;
}

export interface TenantStore {
  get(id: string): Promise<TenantRecord | undefined>;
  exists(id: string): Promise<boolean>;
  /** Creates the tenant or updates the fields given, in one transaction. */
  put(id: string, changes: TenantChanges, now: number): Promise<{ tenant: TenantRecord; created: boolean }>;
  /** Newest first. */
  list(page: PageRequest): Promise<Page<TenantRecord>>;
  /**
   * Deletes the tenant with everything it owns in one transaction: its API keys and portal
   * links, webhooks and events, and through them every delivery and attempt. Undefined: no such tenant.
   */
  delete(id: string): Promise<RemovedWithTenant | undefined>;
}
