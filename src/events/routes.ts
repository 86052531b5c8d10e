// The events API door: publish (202 after commit) and the catalogue.
import { withHeaders } from "@elysiajs/openapi/openapi";
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { requestMemberText } from "../http/body-parser";
import { ok } from "../http/envelope";
import { annotateRequest, requestTraceparent } from "../http/request-log";
import { allChecks, fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks } from "../http/pagination";
import { timeRangeChecks } from "../http/time-range";
import { errors, Success, SuccessPage } from "../http/schemas";
import { page } from "../http/envelope";
import { EventDetail, EventIdParams, EventListQuery, EventReadQuery, EventSummary, IdempotencyKeyParameter, PublishedEvent, PublishEventBody } from "./model";
import { eventDetailJson, getEvent, listEvents } from "./log";
import { publishEvent, publishFieldErrors } from "./service";
import type { EventTypeStore } from "../db/aggregates/event-types";
import { rejectInvalidFields } from "../http/errors";
import { actingTenant, requirePublish, tenantIdCheck } from "../tenants/scope";

const IdempotentReplayedHeader = t.Literal("true", {
  description: "Sent when the `Idempotency-Key` or body `id` was used before: the body is the original event and nothing was enqueued.",
});

// The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
const publishChecksFor = (types: EventTypeStore) => ({ body, request }: CheckedInput) =>
  publishFieldErrors(types, fieldsOf(body), request.headers.get("idempotency-key"));

export function eventRoutes(deps: AppDeps) {
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["Events"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "/events",
      async ({ body, headers, set, caller, request }) => {
        requirePublish(caller);
        const traceParent = requestTraceparent(request);
        // The payload is delivered as published (http/json-text.ts); the parser kept its text.
        const dataJson = requestMemberText(request, "data");
        const tenantId = await actingTenant(deps.store.tenants, caller, body.tenant_id);
        rejectInvalidFields(await publishFieldErrors(deps.store.eventTypes, body, headers["idempotency-key"]));
        // Answered after the commit, which concurrent publishes share (db/sqlite/publish.ts).
        const { event, replayed } = await publishEvent(deps.store, tenantId, body, headers["idempotency-key"], { dataJson, traceParent });
        annotateRequest(request, "event_id", event.id);
        annotateRequest(request, "tenant_id", tenantId);
        // After the commit: the loop may claim the new rows now instead of at its next poll.
        if (!replayed) {
          deps.wakeDelivery();
          deps.metrics.eventPublished(event.type);
        }
        set.status = 202;
        if (replayed) set.headers["idempotent-replayed"] = "true";
        return ok(event);
      },
      {
        apiKey: true,
        body: PublishEventBody,
        fieldChecks: allChecks(publishChecksFor(deps.store.eventTypes), tenantIdCheck(deps.store.tenants)),
        response: { 202: withHeaders(Success(PublishedEvent, "Committed: the event and one delivery per subscribed active webhook of the tenant (or, replayed, the original event)."), { "Idempotent-Replayed": IdempotentReplayedHeader }), ...errors(400, 401, 403, 413, 415, 422) },
        detail: {
          operationId: "publishEvent",
          summary: "Publish an event",
          parameters: [IdempotencyKeyParameter],
          description:
            "Stores the event and enqueues one delivery per active webhook subscribed to its `type`, in one transaction, and answers 202 once committed. " +
            "Receivers get `{\"id\",\"type\",\"created_at\",\"data\"}` signed with Standard Webhooks headers. " +
            "An `Idempotency-Key` header or a body `id` that was already used in the tenant returns the original event (same 202 body, header `Idempotent-Replayed: true`) and enqueues nothing; " +
            "used with a different body, it is refused with 422. A platform key publishes into `tenant_id` (`default` when absent); a tenant key into its own tenant, and only if it was created with `can_publish`.",
        },
      },
    )
    .get(
      "/events",
      async ({ query, caller }) => {
        const { data, pagination } = await listEvents(deps.store, await actingTenant(deps.store.tenants, caller, query.tenant_id), query);
        return page(data, pagination);
      },
      {
        apiKey: true,
        query: EventListQuery,
        fieldChecks: allChecks(pageChecks(deps.store.cursors), timeRangeChecks, tenantIdCheck(deps.store.tenants)),
        response: { 200: SuccessPage(EventSummary, "A page of the tenant's events, newest first."), ...errors(400, 401) },
        detail: {
          operationId: "listEvents",
          summary: "List events",
          description: "One tenant's published events (a platform key's `tenant_id`, `default` when absent), newest first, filtered by `type`, `since` and `until`.",
        },
      },
    )
    .get(
      "/events/:id",
      async ({ params, query, caller }) =>
        new Response(eventDetailJson(await getEvent(deps.store, await actingTenant(deps.store.tenants, caller, query.tenant_id), params.id)), {
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      {
        apiKey: true,
        params: EventIdParams,
        query: EventReadQuery,
        fieldChecks: tenantIdCheck(deps.store.tenants),
        response: {
          200: Success(
            EventDetail,
            "The event, its exact payload and its first deliveries.",
          ),
          ...errors(400, 401, 404, { 404: "No event with id evt_4fQ9kZ2mX7bN1pR8sT3vW5" }),
        },
        detail: { operationId: "getEvent", summary: "Get an event", description: "The event with its exact payload and its deliveries. A platform key names the tenant with `tenant_id` (event ids are unique per tenant)." },
      },
    );
}
