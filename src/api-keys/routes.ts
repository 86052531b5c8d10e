// The API keys door (docs/tenancy.md): create (the key shown once), list without secrets,
// revoke. Platform keys only; `GET /api/v1/api-keys/current` tells any key who it is.
import { Elysia } from "elysia";
import { apiKeyAuth, PLATFORM_ONLY_MESSAGE } from "../auth/api-key-auth";
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from "../auth/api-keys";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { rejectInvalidFields, type FieldError } from "../http/errors";
import { allChecks, fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { getTenant } from "../tenants/service";
import { tenantFieldErrors, tenantIdCheck } from "../tenants/scope";
import { ApiKey, ApiKeyIdParams, ApiKeyListQuery, CreateApiKeyBody, CreatedApiKeyResponse, CurrentCaller } from "./model";

const EXPIRY_ERROR = "Must be an ISO-8601 date-time in the future";

/** The rules of a key body its schema cannot express (its `fieldChecks` too). */
function apiKeyFieldErrors(body: { expires_at?: unknown }, now = Date.now()): FieldError[] {
  const raw = body.expires_at;
  if (raw === undefined) return [];
  const at = typeof raw === "string" ? Date.parse(raw) : NaN;
  return Number.isNaN(at) || at <= now ? [{ field: "expires_at", message: EXPIRY_ERROR }] : [];
}

const apiKeyBodyChecks = ({ body }: CheckedInput) => apiKeyFieldErrors(fieldsOf(body));

export function apiKeyRoutes({ store }: AppDeps) {
  return new Elysia({ prefix: "/api/v1/api-keys", detail: { tags: ["API keys"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "",
      async ({ body, set, caller }) => {
        rejectInvalidFields([...apiKeyFieldErrors(body), ...(await tenantFieldErrors(store.tenants, caller, body.tenant_id))]);
        const expiresAt = body.expires_at === undefined ? undefined : Date.parse(body.expires_at);
        const input = { name: body.name.trim(), tenantId: body.tenant_id ?? null, canPublish: body.can_publish, expiresAt };
        const created = await createApiKey(store.apiKeys, input);
        set.status = 201;
        return ok({ ...created.info, key: created.key });
      },
      {
        platformOnly: true,
        body: CreateApiKeyBody,
        fieldChecks: allChecks(apiKeyBodyChecks, tenantIdCheck(store.tenants)),
        response: { 201: Success(CreatedApiKeyResponse, "The key, shown only in this answer, with its settings."), ...errors(400, 401, 403, 413, 415, { 403: PLATFORM_ONLY_MESSAGE }) },
        detail: {
          operationId: "createApiKey",
          summary: "Create an API key",
          description:
            "Without `tenant_id`, a platform key (acts on every tenant); with it, a tenant key that sees and changes only that tenant's webhooks and deliveries, and publishes only with `can_publish`. The key is in this answer only: store it.",
        },
      },
    )
    .get("", async ({ query }) => {
      const { data, pagination } = await listApiKeys(store, { ...query, tenantId: query.tenant_id });
      return page(data, pagination);
    }, {
      platformOnly: true,
      query: ApiKeyListQuery,
      fieldChecks: allChecks(pageChecks(store.cursors), tenantIdCheck(store.tenants)),
      response: { 200: SuccessPage(ApiKey, "A page of keys, newest first, without secrets."), ...errors(400, 401, 403, { 403: PLATFORM_ONLY_MESSAGE }) },
      detail: { operationId: "listApiKeys", summary: "List API keys", description: "Newest first, without secrets; filter by `tenant_id` or `kind`." },
    })
    .get("/current", async ({ caller }) => {
      const key = await getApiKey(store.apiKeys, caller.keyId);
      const tenant = caller.tenantId === null ? null : await getTenant(store.tenants, caller.tenantId);
      return ok({
        key_id: key.id,
        kind: key.kind,
        tenant_id: key.tenant_id,
        tenant_name: tenant?.name ?? null,
        can_publish: key.can_publish,
        expires_at: key.expires_at,
      });
    }, {
      apiKey: true,
      response: { 200: Success(CurrentCaller, "The key that made this request."), ...errors(401) },
      detail: { operationId: "getCurrentApiKey", summary: "Who am I", description: "The key making this request: platform or tenant, which tenant, whether it may publish, when it expires." },
    })
    .delete("/:id", async ({ params }) => ok(await revokeApiKey(store.apiKeys, params.id)), {
      platformOnly: true,
      params: ApiKeyIdParams,
      response: { 200: Success(ApiKey, "The key, revoked."), ...errors(401, 403, 404, { 403: PLATFORM_ONLY_MESSAGE, 404: "No API key with id key_0FcZk3Qb8xL2mN7pR4sT" }) },
      detail: { operationId: "revokeApiKey", summary: "Revoke an API key", description: "Refused from the very next request on, by every process on the database. Revoking twice keeps the first time." },
    });
}
