// The event catalogue's door (docs/api-guide.md#event-types): read by any key, changed by
// platform keys only.
import { Elysia, t } from "elysia";
import { apiKeyAuth, PLATFORM_ONLY_MESSAGE } from "../auth/api-key-auth";
import type { AppDeps } from "../deps";
import { ok } from "../http/envelope";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { errors, Success } from "../http/schemas";
import { EventTypeInfo, EventTypeNameParams, PutEventTypeBody } from "./model";
import { listEventTypes, putEventType, putEventTypeFieldErrors } from "./service";

const putChecks = ({ body, params }: CheckedInput) => putEventTypeFieldErrors(params.name ?? "", fieldsOf(body));

export function eventTypeRoutes({ store }: AppDeps) {
  return new Elysia({ prefix: "/api/v1/event-types", detail: { tags: ["Events"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .get("", async () => ok(await listEventTypes(store.eventTypes)), {
      apiKey: true,
      response: { 200: Success(t.Array(EventTypeInfo), "Every event type, built in first."), ...errors(401) },
      detail: {
        operationId: "listEventTypes",
        summary: "List event types",
        description: "The catalogue webhooks subscribe to and applications publish: the built-in `link.*` and `uptime.*` types, then your own.",
      },
    })
    .put(
      "/:name",
      async ({ params, body, set }) => {
        const { type, created } = await putEventType(store.eventTypes, params.name, body);
        set.status = created ? 201 : 200;
        return ok(type);
      },
      {
        platformOnly: true,
        params: EventTypeNameParams,
        body: PutEventTypeBody,
        fieldChecks: putChecks,
        response: {
          200: Success(EventTypeInfo, "Updated: the type as it now stands."),
          201: Success(EventTypeInfo, "Created."),
          ...errors(400, 401, 403, 409, 413, 415, { 403: PLATFORM_ONLY_MESSAGE, 409: "link.clicked is a built-in event type and cannot be changed" }),
        },
        detail: {
          operationId: "putEventType",
          summary: "Create or update an event type",
          description:
            "Your own event type, for every tenant. With `schema` (JSON Schema 2020-12), every publish of this type is validated and each problem is listed under `data.…`. " +
            "Archived types still publish and still reach their existing subscribers; new subscriptions to them are refused. Names under `link.`, `uptime.`, `webhook.`, `delivery.`, `alert.` and `hookrelay.` are hookrelay's.",
        },
      },
    );
}
