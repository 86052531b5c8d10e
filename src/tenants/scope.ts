// Which tenant a request acts on (docs/tenancy.md). A platform key acts on the tenant it names
// (`tenant_id` in a body, `?tenant_id=` on a list) or on `default`, and on any tenant's object by
// id. A tenant key acts on its own tenant only: another tenant's objects answer 404, and naming
// another tenant is answered exactly as naming one that does not exist.
import { callerOf } from "../auth/api-key-auth";
import type { Caller } from "../auth/api-keys";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPer } from "../db/prepared";
import { DEFAULT_TENANT, tenants } from "../db/schema";
import { Forbidden, rejectInvalidFields, type FieldError } from "../http/errors";
import { fieldsOf, type FieldCheck } from "../http/field-errors";

// Still synchronous over the connection: creating a webhook and publishing check the tenant
// inside their group-commit write (so a tenant deleted meanwhile cannot gain rows), and field
// checks are synchronous. It goes when those writes check the tenant inside their own stores.
const tenantById = preparedPer((db) => db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, sql.placeholder("id"))).prepare());

function tenantExists(db: Db, id: string): boolean {
  return tenantById(db).get({ id }) !== undefined;
}

export const NO_SUCH_TENANT = "Must name an existing tenant (create it with PUT /api/v1/tenants/{id})";

/** What is wrong with the tenant a request names, for this caller: nothing, or one field error. */
export function tenantFieldErrors(db: Db, caller: Caller, requested: unknown): FieldError[] {
  if (requested === undefined || typeof requested !== "string") return [];
  const known = caller.tenantId !== null ? requested === caller.tenantId : requested === DEFAULT_TENANT || tenantExists(db, requested);
  return known ? [] : [{ field: "tenant_id", message: NO_SUCH_TENANT }];
}

/** The tenant a create, publish or list acts on. */
export function actingTenant(db: Db, caller: Caller, requested: string | undefined): string {
  rejectInvalidFields(tenantFieldErrors(db, caller, requested));
  return caller.tenantId ?? requested ?? DEFAULT_TENANT;
}

/**
 * `fieldChecks` for a route taking `tenant_id` in its body or query, so an unknown tenant is
 * listed with the request's other invalid fields (http/field-errors.ts).
 */
export function tenantIdCheck(db: Db): FieldCheck {
  return ({ body, query, request }) => tenantFieldErrors(db, callerOf(request), fieldsOf(body).tenant_id ?? query.tenant_id);
}

/** The tenant an object looked up by id must belong to; undefined: any (platform keys). */
export function ownerFilter(caller: Caller): string | undefined {
  return caller.tenantId ?? undefined;
}

export function requirePublish(caller: Caller): void {
  if (!caller.canPublish) throw new Forbidden("This API key may not publish events (create a key with can_publish)");
}
