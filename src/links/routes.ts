// Surface A's door for webhook management (DESIGN.md §2). Auth, validation and the envelope
// live here; the logic is in service.ts.
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { commitSoon } from "../db/group-commit";
import type { AppDeps } from "../deps";
import { requestMemberText } from "../http/body-parser";
import { ok, page } from "../http/envelope";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { CreateWebhookBody, CreatedWebhook, ListQuery, UpdateWebhookBody, Webhook, WebhookIdParams, WebhookSecret } from "./model";
import * as service from "./service";

export function linkWebhookRoutes({ db, config }: AppDeps) {
  const policy = { allowPrivate: config.deliveryAllowPrivate };
  // The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
  const webhookChecks = ({ body, request }: CheckedInput) =>
    service.webhookFieldErrors(fieldsOf(body), policy, requestMemberText(request, "metadata"));
  return new Elysia({ prefix: "/api/v1/links/webhooks", detail: { tags: ["Link webhooks"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "",
      async ({ body, request, set }) => {
        // Metadata is stored as sent, so its numbers keep every digit (http/json-text.ts).
        const metadataJson = body.metadata === undefined ? undefined : requestMemberText(request, "metadata");
        // Concurrent creates share one commit (db/group-commit.ts); answered after it. Checks
        // throw before the one INSERT, so the write needs no savepoint of its own.
        const created = await commitSoon(db, () => service.createWebhook(db, body, policy, metadataJson), { singleStatement: true });
        const { id, url, events, active, metadata, created_at } = created;
        set.status = 201;
        return ok({ id, url, events, active, metadata, created_at });
      },
      {
        apiKey: true,
        body: CreateWebhookBody,
        fieldChecks: webhookChecks,
        response: { 201: Success(CreatedWebhook), ...errors(400, 401, 413, 415) },
        detail: {
          summary: "Create webhook",
          description:
            "Create a webhook subscription for link events. The webhook URL receives POST requests when the subscribed events occur (e.g., link clicked, link created, uptime alert).",
        },
      },
    )
    .get("", ({ query }) => {
      const { data, pagination } = service.listWebhooks(db, query);
      return page(data, pagination);
    }, {
      apiKey: true,
      query: ListQuery,
      fieldChecks: pageChecks,
      response: { 200: SuccessPage(Webhook), ...errors(400, 401) },
      detail: { summary: "List webhooks", description: "Newest first. Pass `next_cursor` back as `cursor` for the next page." },
    })
    .get("/:id", ({ params }) => ok(service.getWebhook(db, params.id)), {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(Webhook), ...errors(401, 404) },
      detail: { summary: "Get webhook" },
    })
    .patch("/:id", ({ params, body, request }) => {
      const metadataJson = body.metadata === undefined ? undefined : requestMemberText(request, "metadata");
      return ok(service.updateWebhook(db, params.id, body, policy, metadataJson));
    }, {
      apiKey: true,
      params: WebhookIdParams,
      body: UpdateWebhookBody,
      fieldChecks: webhookChecks,
      response: { 200: Success(Webhook), ...errors(400, 401, 404, 413, 415) },
      detail: {
        summary: "Update webhook",
        description: "Partial update of `url`, `events`, `secret`, `metadata` and `active`. Setting `active` to true clears `disabled_reason`.",
      },
    })
    .delete("/:id", ({ params }) => {
      service.deleteWebhook(db, params.id);
      return ok({ id: params.id, deleted: true });
    }, {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(t.Object({ id: t.String(), deleted: t.Literal(true) })), ...errors(401, 404) },
      detail: { summary: "Delete webhook", description: "Deletes the webhook with its pending deliveries and their log." },
    })
    .get("/:id/secret", ({ params }) => ok(service.getWebhookSecret(db, params.id)), {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(WebhookSecret), ...errors(401, 404) },
      detail: {
        summary: "Get signing secret",
        description: "The only route that returns the secret. Use it to verify the `webhook-signature` header.",
      },
    });
}
