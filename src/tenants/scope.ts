// Which tenant a request acts on (docs/tenancy.md). A platform key acts on the tenant it names
// (`tenant_id` in a body, `?tenant_id=` on a list) or on `default`, and on any tenant's object by
// id. A tenant key acts on its own tenant only: another tenant's objects answer 404, and naming
// another tenant is answered exactly as naming one that does not exist.
import { callerOf } from "../auth/api-key-auth";
import type { Caller } from "../auth/api-keys";
import type { TenantStore } from "../db/aggregates/tenants";
import { DEFAULT_TENANT } from "../db/schema";
import { Forbidden, rejectInvalidFields, type FieldError } from "../http/errors";
import { fieldsOf, type FieldCheck } from "../http/field-errors";

// A check before the write, for the answer to list the tenant with the request's other invalid
// fields. The writes that must not outlive their tenant (a webhook, an event, a key) check it
// again inside their own transaction (db/aggregates/), so a tenant deleted meanwhile gains nothing.

export const NO_SUCH_TENANT = "Must name an existing tenant (create it with PUT /api/v1/tenants/{id})";

/** What is wrong with the tenant a request names, for this caller: nothing, or one field error. */
export async function tenantFieldErrors(tenants: TenantStore, caller: Caller, requested: unknown): Promise<FieldError[]> {
  if (requested === undefined || typeof requested !== "string") return [];
  const known = caller.tenantId !== null ? requested === caller.tenantId : requested === DEFAULT_TENANT || (await tenants.exists(requested));
  return known ? [] : [{ field: "tenant_id", message: NO_SUCH_TENANT }];
}

/** The tenant a create, publish or list acts on. */
export async function actingTenant(tenants: TenantStore, caller: Caller, requested: string | undefined): Promise<string> {
  // The common case (no tenant named) reads nothing.
  if (requested !== undefined) rejectInvalidFields(await tenantFieldErrors(tenants, caller, requested));
  return caller.tenantId ?? requested ?? DEFAULT_TENANT;
}

/**
 * `fieldChecks` for a route taking `tenant_id` in its body or query, so an unknown tenant is
 * listed with the request's other invalid fields (http/field-errors.ts).
 */
export function tenantIdCheck(tenants: TenantStore): FieldCheck {
  return ({ body, query, request }) => tenantFieldErrors(tenants, callerOf(request), fieldsOf(body).tenant_id ?? query.tenant_id);
}

/** The tenant an object looked up by id must belong to; undefined: any (platform keys). */
export function ownerFilter(caller: Caller): string | undefined {
  return caller.tenantId ?? undefined;
}

export function requirePublish(caller: Caller): void {
  if (!caller.canPublish) throw new Forbidden("This API key may not publish events (create a key with can_publish)");
}
