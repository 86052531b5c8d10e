// Surface A's door for webhook management (docs/api-guide.md, surface A). Auth, validation and the envelope
// live here; the logic is in service.ts.
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { requestMemberText } from "../http/body-parser";
import { ok, page } from "../http/envelope";
import { allChecks, fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { CreateWebhookBody, CreatedWebhook, ListQuery, UpdateWebhookBody, Webhook, WebhookIdParams, WebhookSecret } from "./model";
import * as service from "./service";
import { actingTenant, ownerFilter, tenantIdCheck } from "../tenants/scope";

/** The example message of a 404 on /api/v1/links/webhooks/{id}…, for the OpenAPI document. */
export const NOT_FOUND = { 404: "No webhook with id whk_7kH3nPqR" };

export function linkWebhookRoutes({ store, config }: AppDeps) {
  const policy = { allowPrivate: config.deliveryAllowPrivate };
  // The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
  const webhookChecks = ({ body, request }: CheckedInput) =>
    service.webhookFieldErrors(store, fieldsOf(body), policy, requestMemberText(request, "metadata"));
  // On create a secret with no `signature` beside it must be an HMAC one.
  const createChecks = ({ body, request }: CheckedInput) =>
    service.webhookFieldErrors(store, fieldsOf(body), policy, requestMemberText(request, "metadata"), "hmac");
  return new Elysia({ prefix: "/api/v1/links/webhooks", detail: { tags: ["Link webhooks"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "",
      async ({ body, request, set, caller }) => {
        // Metadata is stored as sent, so its numbers keep every digit (http/json-text.ts).
        const metadataJson = body.metadata === undefined ? undefined : requestMemberText(request, "metadata");
        // Concurrent creates share one commit (the store's group commit); answered after it.
        const created = await service.createWebhook(store, await actingTenant(store.tenants, caller, body.tenant_id), body, policy, metadataJson);
        const { id, url, events, active, metadata, created_at } = created;
        set.status = 201;
        return ok({ id, url, events, active, metadata, created_at });
      },
      {
        apiKey: true,
        body: CreateWebhookBody,
        fieldChecks: allChecks(createChecks, tenantIdCheck(store.tenants)),
        response: { 201: Success(CreatedWebhook, "The created webhook: exactly the six documented fields."), ...errors(400, 401, 413, 415) },
        detail: {
          operationId: "createWebhook",
          summary: "Create webhook",
          description:
            "Create a webhook subscription for link events. The webhook URL receives POST requests when the subscribed events occur (e.g., link clicked, link created, uptime alert).",
        },
      },
    )
    .get("", async ({ query, caller }) => {
      const { data, pagination } = await service.listWebhooks(store, await actingTenant(store.tenants, caller, query.tenant_id), query);
      return page(data, pagination);
    }, {
      apiKey: true,
      query: ListQuery,
      fieldChecks: allChecks(({ query }) => service.listFieldErrors(store, query), tenantIdCheck(store.tenants)),
      response: { 200: SuccessPage(Webhook, "A page of the tenant's webhooks, newest first."), ...errors(400, 401) },
      detail: {
        operationId: "listWebhooks",
        summary: "List webhooks",
        description: "One tenant's webhooks (a platform key's `tenant_id`, `default` when absent), newest first. Pass `next_cursor` back as `cursor` for the next page.",
      },
    })
    .get("/:id", async ({ params, caller }) => ok(await service.getWebhook(store, params.id, ownerFilter(caller))), {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(Webhook, "The webhook."), ...errors(401, 404, NOT_FOUND) },
      detail: { operationId: "getWebhook", summary: "Get webhook" },
    })
    .patch("/:id", async ({ params, body, request, caller }) => {
      const metadataJson = body.metadata === undefined ? undefined : requestMemberText(request, "metadata");
      return ok(await service.updateWebhook(store, params.id, body, policy, ownerFilter(caller), metadataJson));
    }, {
      apiKey: true,
      params: WebhookIdParams,
      body: UpdateWebhookBody,
      fieldChecks: webhookChecks,
      response: { 200: Success(Webhook, "The webhook after the update."), ...errors(400, 401, 404, 413, 415, NOT_FOUND) },
      detail: {
        operationId: "updateWebhook",
        summary: "Update webhook",
        description:
          "Partial update of `url`, `events`, `secret`, `metadata`, `active`, `signature`, `filter` and the delivery controls `retry_schedule`, `timeout_ms` and `headers` " +
          "(null removes a filter or a control: the server's default applies again; `headers` is replaced as a whole). Setting `active` to true clears `disabled_reason`; " +
          "setting it to false emits no `webhook.disabled` event (only automatic disabling does). A new `secret` replaces the key at once. " +
          "A `signature` other than the webhook's generates a key of that kind, and the old key keeps signing beside it for 24 hours, as after a rotation.",
      },
    })
    .delete("/:id", async ({ params, caller }) => {
      await service.deleteWebhook(store, params.id, ownerFilter(caller));
      return ok({ id: params.id, deleted: true });
    }, {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(t.Object({ id: t.String({ examples: ["whk_7kH3nPqR"] }), deleted: t.Literal(true) }), "Deleted."), ...errors(401, 404, NOT_FOUND) },
      detail: { operationId: "deleteWebhook", summary: "Delete webhook", description: "Deletes the webhook with its pending deliveries and their log." },
    })
    .get("/:id/secret", async ({ params, caller }) => ok(await service.getWebhookSecret(store, params.id, ownerFilter(caller))), {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(WebhookSecret, "The signing secret (and when a rotated-out one stops signing)."), ...errors(401, 404, NOT_FOUND) },
      detail: {
        operationId: "getWebhookSecret",
        summary: "Get signing secret",
        description:
          "The only route that returns the secret. Use it to verify the `webhook-signature` header: for an ed25519 webhook, verify `v1a,` signatures with `public_key` (which may be shared; it cannot sign).",
      },
    });
}
