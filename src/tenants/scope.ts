// Which tenant a request acts on (docs/tenancy.md). A platform key acts on the tenant it names
// (`tenant_id` in a body, `?tenant_id=` on a list) or on `default`, and on any tenant's object by
// id. A tenant key acts on its own tenant only: another tenant's objects answer 404, and naming
// another tenant is answered exactly as naming one that does not exist.
import type { Caller } from "../auth/api-keys";
import type { Db } from "../db/client";
import { DEFAULT_TENANT } from "../db/schema";
import { Forbidden, invalidField } from "../http/errors";
import { tenantExists } from "./service";

export const NO_SUCH_TENANT = "must name an existing tenant (create it with PUT /api/v1/tenants/{id})";

/** The tenant a create, publish or list acts on. */
export function actingTenant(db: Db, caller: Caller, requested: string | undefined): string {
  if (caller.tenantId !== null) {
    if (requested !== undefined && requested !== caller.tenantId) throw invalidField("tenant_id", NO_SUCH_TENANT);
    return caller.tenantId;
  }
  if (requested === undefined || requested === DEFAULT_TENANT) return DEFAULT_TENANT;
  if (!tenantExists(db, requested)) throw invalidField("tenant_id", NO_SUCH_TENANT);
  return requested;
}

/** The tenant an object looked up by id must belong to; undefined: any (platform keys). */
export function ownerFilter(caller: Caller): string | undefined {
  return caller.tenantId ?? undefined;
}

export function requirePublish(caller: Caller): void {
  if (!caller.canPublish) throw new Forbidden("This API key may not publish events (create a key with can_publish)");
}
