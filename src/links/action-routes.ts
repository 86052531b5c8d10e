// Doors for webhook actions that involve delivery: rotate the secret, send a test event,
// recover failed deliveries. Kept beside routes.ts (CRUD) under the same prefix.
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { RecoverBody, Recovered } from "../delivery-log/model";
import { recoverFailedDeliveries } from "../delivery-log/service";
import type { AppDeps } from "../deps";
import { PublishedEvent } from "../events/model";
import { ok } from "../http/envelope";
import { annotateRequest, requestTraceparent } from "../http/request-log";
import { errors, Success } from "../http/schemas";
import { rotateWebhookSecret, sendTestEvent } from "./actions";
import { SecretRotation, WebhookIdParams } from "./model";
import { ownerFilter } from "../tenants/scope";
import { NOT_FOUND } from "./routes";

export function linkWebhookActionRoutes(deps: AppDeps) {
  const { store } = deps;
  return new Elysia({ prefix: "/api/v1/links/webhooks", detail: { tags: ["Link webhooks"] } })
    .use(apiKeyAuth)
    .post("/:id/secret/rotate", async ({ params, caller }) => ok(await rotateWebhookSecret(store, params.id, ownerFilter(caller))), {
      apiKey: true,
      params: WebhookIdParams,
      response: { 200: Success(SecretRotation, "Rotated: the new secret signs from now on, the old one beside it until `previous_secret_expires_at`."), ...errors(401, 404, NOT_FOUND) },
      detail: {
        operationId: "rotateWebhookSecret",
        summary: "Rotate signing secret",
        description:
          "Generates a new secret; read it with `GET /api/v1/links/webhooks/{id}/secret` (the only route that returns secrets). For 24 hours (`previous_secret_expires_at`) every delivery carries a signature with the old secret too, so receivers can switch over without dropping events.",
      },
    })
    .post(
      "/:id/test",
      async ({ params, set, caller, request }) => {
        const event = await sendTestEvent(store, params.id, ownerFilter(caller), Date.now(), requestTraceparent(request));
        deps.wakeDelivery();
        deps.metrics.eventPublished(event.type);
        annotateRequest(request, "event_id", event.id);
        annotateRequest(request, "delivery_id", event.delivery_id);
        set.status = 202;
        return ok(event);
      },
      {
        apiKey: true,
        params: WebhookIdParams,
        response: { 202: Success(
          t.Object({ ...PublishedEvent.properties, delivery_id: t.String({ examples: ["dlv_9Xc2LmQ4rT7vB1nK8pZ3aW"] }) }),
          "Queued: the `webhook.test` event and its one delivery.",
        ),
        ...errors(401, 404, 409, { ...NOT_FOUND, 409: "The webhook is disabled; enable it (PATCH active: true) before testing it" }) },
        detail: {
          operationId: "testWebhook",
          summary: "Send a test event",
          description: "Enqueues a `webhook.test` event for this webhook only, whatever it subscribes to. Follow it with `GET /api/v1/deliveries/{delivery_id}`.",
        },
      },
    )
    .post(
      "/:id/recover",
      async ({ params, body, set, caller }) => {
        const recovered = await recoverFailedDeliveries(deps.store, params.id, body.since, ownerFilter(caller));
        if (recovered > 0) deps.wakeDelivery();
        set.status = 202;
        return ok({ recovered });
      },
      {
        apiKey: true,
        params: WebhookIdParams,
        body: RecoverBody,
        response: { 202: Success(Recovered, "Queued again: how many failed deliveries are due now."), ...errors(400, 401, 404, 409, 413, 415, { ...NOT_FOUND, 409: "The webhook is disabled; enable it (PATCH active: true) before recovering" }) },
        detail: {
          operationId: "recoverWebhookDeliveries",
          summary: "Recover failed deliveries",
          description: "Every failed delivery of this webhook enqueued at or after `since` is attempted again now (one more attempt each). 409 while the webhook is disabled.",
        },
      },
    );
}
