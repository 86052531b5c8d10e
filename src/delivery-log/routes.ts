// The delivery log door: a webhook's deliveries, one delivery with its attempts, retry.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { annotateRequest } from "../http/request-log";
import { allChecks, fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { timeRangeChecks } from "../http/time-range";
import { pageChecks, pageFieldErrors } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { BulkRetried, BulkRetryBody, Delivery, DeliveryIdParams, DeliveryListQuery, DeliverySearchQuery, DeliveryWithAttempts } from "./model";
import { retryMatchingDeliveries, SEARCH_WINDOW, searchDeliveries, RETRY_BATCH } from "./search";
import { getDelivery, listWebhookDeliveries, retryDelivery } from "./service";
import { actingTenant, ownerFilter, tenantIdCheck } from "../tenants/scope";

export function deliveryRoutes(deps: AppDeps) {
  const { store } = deps;
  /** A bulk retry carries its cursor in the body. */
  const cursorChecks = ({ body }: CheckedInput) => pageFieldErrors({ cursor: fieldsOf(body).cursor }, store.cursors);
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["Deliveries"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .get(
      "/links/webhooks/:id/deliveries",
      async ({ params, query, caller }) => {
        const { data, pagination } = await listWebhookDeliveries(store, params.id, query, ownerFilter(caller));
        return page(data, pagination);
      },
      {
        apiKey: true,
        params: DeliveryIdParams,
        query: DeliveryListQuery,
        fieldChecks: pageChecks(store.cursors),
        response: { 200: SuccessPage(Delivery, "A page of the webhook's deliveries, newest first."), ...errors(400, 401, 404, { 404: "No webhook with id whk_7kH3nPqR" }) },
        detail: {
          operationId: "listWebhookDeliveries",
          summary: "List a webhook's deliveries",
          description: "The delivery log, newest first, optionally filtered by `status`. Pass `next_cursor` back as `cursor` for the next page.",
        },
      },
    )
    .get(
      "/deliveries",
      async ({ query, caller }) => {
        const { data, pagination } = await searchDeliveries(store, await actingTenant(store.tenants, caller, query.tenant_id), query, ownerFilter(caller));
        return page(data, pagination);
      },
      {
        apiKey: true,
        query: DeliverySearchQuery,
        fieldChecks: allChecks(pageChecks(store.cursors), timeRangeChecks, tenantIdCheck(store.tenants)),
        response: { 200: SuccessPage(Delivery, "A page of matching deliveries, newest first."), ...errors(400, 401, 404, { 404: "No webhook with id whk_7kH3nPqR" }) },
        detail: {
          operationId: "searchDeliveries",
          summary: "Search deliveries",
          description:
            "Every delivery of one tenant (a platform key's `tenant_id`, `default` when absent), newest first, filtered by `status`, `webhook_id`, `event_type`, `event_id`, `since` and `until`. " +
            `A request looks at ${SEARCH_WINDOW} deliveries at most: a page may hold fewer than \`limit\` matches while \`has_more\` is true; pass \`next_cursor\` back as \`cursor\` to go on.`,
        },
      },
    )
    .post(
      "/deliveries/retry",
      async ({ body, caller, set }) => {
        const result = await retryMatchingDeliveries(store, await actingTenant(store.tenants, caller, body.tenant_id), body, ownerFilter(caller));
        if (result.retried > 0) deps.wakeDelivery();
        set.status = 202;
        return ok(result);
      },
      {
        apiKey: true,
        body: BulkRetryBody,
        fieldChecks: allChecks(cursorChecks, timeRangeChecks, tenantIdCheck(store.tenants)),
        response: { 202: Success(BulkRetried, "How many were made due, and where to go on."), ...errors(400, 401, 404, 413, 415, { 404: "No webhook with id whk_7kH3nPqR" }) },
        detail: {
          operationId: "retryDeliveries",
          summary: "Retry matching deliveries",
          description:
            `Makes every delivery matching the filters of a search (\`status\` defaults to \`failed\`) due now, as retrying each would: at most ${RETRY_BATCH} a request. ` +
            "While `has_more` is true, send the same filters with `cursor: next_cursor` to go on. Deliveries being attempted and those of disabled webhooks are skipped.",
        },
      },
    )
    .get("/deliveries/:id", async ({ params, caller }) => ok(await getDelivery(store, params.id, ownerFilter(caller))), {
      apiKey: true,
      params: DeliveryIdParams,
      response: { 200: Success(DeliveryWithAttempts, "The delivery with every attempt, oldest first."), ...errors(401, 404, { 404: "No delivery with id dlv_9Xc2LmQ4rT7vB1nK8pZ3aW" }) },
      detail: { operationId: "getDelivery", summary: "Get a delivery", description: "One delivery with every attempt: time, duration, status, up to 4 KiB of the response body, error." },
    })
    .post(
      "/deliveries/:id/retry",
      async ({ params, set, caller, request }) => {
        annotateRequest(request, "delivery_id", params.id);
        const delivery = await retryDelivery(store, params.id, ownerFilter(caller));
        deps.wakeDelivery();
        set.status = 202;
        return ok(delivery);
      },
      {
        apiKey: true,
        params: DeliveryIdParams,
        response: { 202: Success(Delivery, "Due again now: the delivery as it stands after the retry was queued."), ...errors(401, 404, 409, { 404: "No delivery with id dlv_9Xc2LmQ4rT7vB1nK8pZ3aW", 409: "The delivery is being attempted right now" }) },
        detail: {
          operationId: "retryDelivery",
          summary: "Retry a delivery",
          description:
            "Delivers again now, with the same `webhook-id`. Works on failed, delivered and pending deliveries; a failed one gets one more attempt. " +
            "409 while the delivery is being attempted or its webhook is disabled.",
        },
      },
    );
}
