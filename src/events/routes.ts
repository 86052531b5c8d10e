// The events API door: publish (202 after commit) and the catalogue.
import { withHeaders } from "@elysiajs/openapi/openapi";
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { commitSoon } from "../db/group-commit";
import type { AppDeps } from "../deps";
import { ok } from "../http/envelope";
import { errors, Success } from "../http/schemas";
import { EventTypeInfo, IdempotencyKeyParameter, PublishedEvent, PublishEventBody } from "./model";
import { listEventTypes, publishEvent } from "./service";

const IdempotentReplayedHeader = t.Literal("true", {
  description: "Sent when the `Idempotency-Key` or body `id` was used before: the body is the original event and nothing was enqueued.",
});

export function eventRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["Events"] } })
    .use(apiKeyAuth)
    .post(
      "/events",
      async ({ body, headers, set }) => {
        // Concurrent publishes share one commit (db/group-commit.ts); answered after it.
        const { event, replayed } = await commitSoon(db, () => publishEvent(db, body, headers["idempotency-key"]));
        // After the commit: the loop may claim the new rows now instead of at its next poll.
        if (!replayed) deps.wakeDelivery();
        set.status = 202;
        if (replayed) set.headers["idempotent-replayed"] = "true";
        return ok(event);
      },
      {
        apiKey: true,
        body: PublishEventBody,
        response: { 202: withHeaders(Success(PublishedEvent, "Committed: the event and one delivery per subscribed active webhook (or, replayed, the original event)."), { "Idempotent-Replayed": IdempotentReplayedHeader }), ...errors(400, 401, 413, 415) },
        detail: {
          operationId: "publishEvent",
          summary: "Publish an event",
          parameters: [IdempotencyKeyParameter],
          description:
            "Stores the event and enqueues one delivery per active webhook subscribed to its `type`, in one transaction, and answers 202 once committed. " +
            "Receivers get `{\"id\",\"type\",\"created_at\",\"data\"}` signed with Standard Webhooks headers. " +
            "An `Idempotency-Key` header or a body `id` that was already used returns the original event (same 202 body, header `Idempotent-Replayed: true`) and enqueues nothing.",
        },
      },
    )
    .get("/event-types", () => ok(listEventTypes()), {
      apiKey: true,
      response: { 200: Success(t.Array(EventTypeInfo), "Every event type, built in first."), ...errors(401) },
      detail: { operationId: "listEventTypes", summary: "List event types", description: "The catalogue of event types webhooks can subscribe to and applications can publish." },
    });
}
