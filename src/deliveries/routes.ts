// The delivery log door: a webhook's deliveries, one delivery with its attempts, retry.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { fieldChecks } from "../http/field-errors";
import { pageChecks } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { Delivery, DeliveryIdParams, DeliveryListQuery, DeliveryWithAttempts } from "./model";
import { getDelivery, listWebhookDeliveries, retryDelivery } from "./service";

export function deliveryRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["Deliveries"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .get(
      "/links/webhooks/:id/deliveries",
      ({ params, query }) => {
        const { data, pagination } = listWebhookDeliveries(db, params.id, query);
        return page(data, pagination);
      },
      {
        apiKey: true,
        params: DeliveryIdParams,
        query: DeliveryListQuery,
        fieldChecks: pageChecks,
        response: { 200: SuccessPage(Delivery), ...errors(400, 401, 404) },
        detail: {
          summary: "List a webhook's deliveries",
          description: "The delivery log, newest first, optionally filtered by `status`. Pass `next_cursor` back as `cursor` for the next page.",
        },
      },
    )
    .get("/deliveries/:id", ({ params }) => ok(getDelivery(db, params.id)), {
      apiKey: true,
      params: DeliveryIdParams,
      response: { 200: Success(DeliveryWithAttempts), ...errors(401, 404) },
      detail: { summary: "Get a delivery", description: "One delivery with every attempt: time, duration, status, up to 4 KiB of the response body, error." },
    })
    .post(
      "/deliveries/:id/retry",
      ({ params, set }) => {
        const delivery = retryDelivery(db, params.id);
        deps.wakeDelivery();
        set.status = 202;
        return ok(delivery);
      },
      {
        apiKey: true,
        params: DeliveryIdParams,
        response: { 202: Success(Delivery), ...errors(401, 404, 409) },
        detail: {
          summary: "Retry a delivery",
          description:
            "Delivers again now, with the same `webhook-id`. Works on failed, delivered and pending deliveries; a failed one gets one more attempt. " +
            "409 while the delivery is being attempted or its webhook is disabled.",
        },
      },
    );
}
