// The events API door: publish (202 after commit) and the catalogue.
import { Elysia, t } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { commitSoon } from "../db/group-commit";
import type { AppDeps } from "../deps";
import { requestMemberText } from "../http/body-parser";
import { ok } from "../http/envelope";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { errors, Success } from "../http/schemas";
import { EventTypeInfo, IdempotencyKeyParameter, PublishedEvent, PublishEventBody } from "./model";
import { listEventTypes, publishEvent, publishFieldErrors } from "./service";

// The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
const publishChecks = ({ body, request }: CheckedInput) =>
  publishFieldErrors(fieldsOf(body), request.headers.get("idempotency-key"));

export function eventRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["Events"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "/events",
      async ({ body, headers, request, set }) => {
        // The payload is delivered as published (http/json-text.ts); the parser kept its text.
        const dataJson = requestMemberText(request, "data");
        // Concurrent publishes share one commit (db/group-commit.ts); answered after it.
        const { event, replayed } = await commitSoon(db, () => publishEvent(db, body, headers["idempotency-key"], dataJson));
        // After the commit: the loop may claim the new rows now instead of at its next poll.
        if (!replayed) deps.wakeDelivery();
        set.status = 202;
        if (replayed) set.headers["idempotent-replayed"] = "true";
        return ok(event);
      },
      {
        apiKey: true,
        body: PublishEventBody,
        fieldChecks: publishChecks,
        response: { 202: Success(PublishedEvent), ...errors(400, 401, 413, 415) },
        detail: {
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
      response: { 200: Success(t.Array(EventTypeInfo)), ...errors(401) },
      detail: { summary: "List event types", description: "The catalogue of event types webhooks can subscribe to and applications can publish." },
    });
}
