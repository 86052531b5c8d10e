// The tenants door (docs/tenancy.md): platform keys only. Tenants are created by PUT with the
// operator's own customer id, so no mapping table is needed on their side.
import { Elysia } from "elysia";
import { apiKeyAuth, PLATFORM_ONLY_MESSAGE } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { errors, Success, SuccessPage } from "../http/schemas";
import { DeletedTenant, PortalBody, PortalLink, PutTenantBody, Tenant, TenantIdParams, TenantListQuery } from "./model";
import { createPortalLink } from "./portal";
import { deleteTenant, getTenant, listTenants, putTenant, putTenantFieldErrors } from "./service";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks } from "../http/pagination";

const tenantBodyChecks = ({ body }: CheckedInput) => putTenantFieldErrors(fieldsOf(body));

export function tenantRoutes({ store, config }: AppDeps) {
  const { tenants } = store;
  return new Elysia({ prefix: "/api/v1/tenants", detail: { tags: ["Tenants"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .put(
      "/:id",
      async ({ params, body, set }) => {
        const { tenant, created } = await putTenant(tenants, params.id, body);
        set.status = created ? 201 : 200;
        return ok(tenant);
      },
      {
        platformOnly: true,
        params: TenantIdParams,
        body: PutTenantBody,
        fieldChecks: tenantBodyChecks,
        response: { 200: Success(Tenant, "Updated: the tenant as it now stands."), 201: Success(Tenant, "Created."), ...errors(400, 401, 403, 413, 415, { 403: PLATFORM_ONLY_MESSAGE }) },
        detail: {
          operationId: "putTenant",
          summary: "Create or update a tenant",
          description:
            "A tenant is one customer of your product; its id is your own id for that customer. 201 when created, 200 when updated (only the fields given change).",
        },
      },
    )
    .get("", async ({ query }) => {
      const { data, pagination } = await listTenants(store, query);
      return page(data, pagination);
    }, {
      platformOnly: true,
      query: TenantListQuery,
      fieldChecks: pageChecks(store.cursors),
      response: { 200: SuccessPage(Tenant, "A page of tenants, newest first."), ...errors(400, 401, 403, { 403: PLATFORM_ONLY_MESSAGE }) },
      detail: { operationId: "listTenants", summary: "List tenants", description: "Newest first. Pass `next_cursor` back as `cursor` for the next page." },
    })
    .get("/:id", async ({ params }) => ok(await getTenant(tenants, params.id)), {
      platformOnly: true,
      params: TenantIdParams,
      response: { 200: Success(Tenant, "The tenant."), ...errors(400, 401, 403, 404, { 404: "No tenant with id acme-retail", 403: PLATFORM_ONLY_MESSAGE }) },
      detail: { operationId: "getTenant", summary: "Get a tenant" },
    })
    .delete("/:id", async ({ params }) => ok({ id: params.id, deleted: true as const, removed: await deleteTenant(tenants, params.id) }), {
      platformOnly: true,
      params: TenantIdParams,
      response: {
        200: Success(DeletedTenant, "Deleted, with how many of its rows went with it."),
        ...errors(400, 401, 403, 404, 409, { 404: "No tenant with id acme-retail", 403: PLATFORM_ONLY_MESSAGE, 409: "The default tenant always exists and cannot be deleted" }),
      },
      detail: {
        operationId: "deleteTenant",
        summary: "Delete a tenant",
        description: "Removes the tenant with its webhooks, events, deliveries (and their attempt logs) and API keys, and says how many of each. The `default` tenant cannot be deleted (409).",
      },
    })
    .post(
      "/:id/portal",
      async ({ params, body, request, set }) => {
        const link = await createPortalLink(store.apiKeys, params.id, body.expires_in, config.publicUrl ?? new URL(request.url).origin);
        set.status = 201;
        return ok(link);
      },
      {
        platformOnly: true,
        params: TenantIdParams,
        body: PortalBody,
        response: { 201: Success(PortalLink, "The link, and when it stops working."), ...errors(400, 401, 403, 404, 413, 415, { 404: "No tenant with id acme-retail", 403: PLATFORM_ONLY_MESSAGE }) },
        detail: {
          operationId: "createPortalLink",
          summary: "Create a portal link",
          description:
            "A link to the console signed in as this tenant, for your customer: they manage their webhooks, secrets and deliveries, and cannot publish or see other tenants. " +
            "The token it holds expires after `expires_in` seconds (default 1 hour, at most 7 days) and sits in the URL fragment, which browsers never send to servers; the console moves it out of the address bar on load.",
        },
      },
    );
}
