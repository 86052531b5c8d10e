// Surface B's door (docs/api-guide.md, surface B): traffic sources,
// their Discord webhooks (/webhooks/:trafficSourceId) and alerts. Every route needs a session
// token (`user: true`); the order of answers is 400 no token → 401 bad token → 400 bad body →
// 404 unknown source → 403 not the owner → the route's own result.
import { Elysia, t } from "elysia";
import { userAuth } from "../auth/user-auth";
import type { AppDeps } from "../deps";
import { described, errors } from "../http/schemas";
import * as webhooks from "./webhooks";
import { getAlert, listAlerts } from "./alert-log";
import { alertEventType, raiseAlert } from "./alerts";
import { annotateRequest, requestTraceparent } from "../http/request-log";
import {
  Alert,
  AlertListQuery,
  AlertParams,
  AlertSummary,
  TrafficSourceWebhook,
  TrafficSourceWebhookParams,
  CreateTrafficSourceWebhookBody,
  CreateTrafficSourceBody,
  RaiseAlertBody,
  RaisedAlert,
  SourceIdParams,
  TrafficSource,
  TrafficSourceParams,
  UpdateTrafficSourceWebhookBody,
} from "./model";
import * as sources from "./service";

const scopeOf = (params: { trafficSourceId: string }, user: { id: string }) => ({ sourceId: params.trafficSourceId, userId: user.id });

/** Example messages of the source checks every route makes, for the OpenAPI document. */
const SOURCE_ERRORS = {
  403: "You do not have permission to manage this traffic source",
  404: "The specified traffic source was not found",
  409: "A webhook for this severity level already exists on this traffic source",
};

function sourceRoutes({ store, wakeDelivery, metrics }: AppDeps) {
  return new Elysia({ prefix: "/traffic-sources", detail: { tags: ["Traffic sources"] } })
    .use(userAuth(store.sessions))
    .post(
      "",
      async ({ body, user, set }) => {
        set.status = 201;
        return sources.createTrafficSource(store, user.id, body.name);
      },
      {
        user: true,
        body: CreateTrafficSourceBody,
        response: { 201: described(TrafficSource, "The new traffic source, owned by the caller."), ...errors(400, 401, 413, 415) },
        detail: { operationId: "createTrafficSource", summary: "Create traffic source", description: "Creates a traffic source owned by the caller." },
      },
    )
    .get("", ({ user }) => sources.listTrafficSources(store, user.id), {
      user: true,
      response: { 200: t.Array(TrafficSource, { description: "The caller's traffic sources, oldest first." }), ...errors(400, 401) },
      detail: { operationId: "listTrafficSources", summary: "List traffic sources", description: "The caller's traffic sources, oldest first." },
    })
    .get("/:id", ({ params, user }) => sources.getTrafficSource(store, { sourceId: params.id, userId: user.id }), {
      user: true,
      params: SourceIdParams,
      response: { 200: described(TrafficSource, "The traffic source."), ...errors(400, 401, 403, 404, SOURCE_ERRORS) },
      detail: { operationId: "getTrafficSource", summary: "Get traffic source" },
    })
    .post(
      "/:id/events",
      async ({ params, body, user, set, request }) => {
        const raised = await raiseAlert(store, { sourceId: params.id, userId: user.id }, body, requestTraceparent(request));
        annotateRequest(request, "event_id", raised.id);
        metrics.eventPublished(alertEventType(body.level));
        if (raised.deliveries > 0) wakeDelivery();
        set.status = 202;
        return raised;
      },
      {
        user: true,
        params: SourceIdParams,
        body: RaiseAlertBody,
        response: { 202: described(RaisedAlert, "Queued: the alert is recorded and, when the level has a webhook, its Discord message enqueued."), ...errors(400, 401, 403, 404, 413, 415, SOURCE_ERRORS) },
        detail: {
          operationId: "raiseAlert",
          summary: "Raise alert",
          description:
            "Queues a Discord message for the source's webhook of this level: one embed coloured by level (fatal red, " +
            "warning amber, info blue), cut to Discord's limits (title 256, description 4096, 25 fields of 256/1024, " +
            "6000 in all), with mentions disabled. Answers 202 once queued; `deliveries` is 0 when the source has no " +
            "webhook for that level (the alert is recorded, nothing is sent).",
        },
      },
    )
    .get(
      "/:id/alerts",
      ({ params, query, user }) => listAlerts(store, { sourceId: params.id, userId: user.id }, query),
      {
        user: true,
        params: SourceIdParams,
        query: AlertListQuery,
        response: { 200: t.Array(AlertSummary, { description: "The source's alerts, newest first." }), ...errors(400, 401, 403, 404, SOURCE_ERRORS) },
        detail: { operationId: "listAlerts", summary: "List alerts", description: "The source's alerts, newest first; pass the last one's `createdAt` as `before` for older ones." },
      },
    )
    .get(
      "/:id/alerts/:alertId",
      ({ params, user }) => getAlert(store, { sourceId: params.id, userId: user.id }, params.alertId),
      {
        user: true,
        params: AlertParams,
        response: { 200: described(Alert, "The alert, its Discord message and its delivery."), ...errors(400, 401, 403, 404, { ...SOURCE_ERRORS, 404: "The specified alert was not found" }) },
        detail: { operationId: "getAlert", summary: "Get an alert", description: "One alert: the Discord message it sent, and its delivery with every attempt." },
      },
    );
}

function trafficSourceWebhookRoutes({ store }: AppDeps) {
  return new Elysia({ prefix: "/webhooks", detail: { tags: ["Traffic source webhooks"] } })
    .use(userAuth(store.sessions))
    .post(
      "/:trafficSourceId",
      async ({ params, body, user, set }) => {
        const created = await webhooks.createTrafficSourceWebhook(store, scopeOf(params, user), body);
        set.status = 201;
        return created;
      },
      {
        user: true,
        params: TrafficSourceParams,
        body: CreateTrafficSourceWebhookBody,
        response: { 201: described(TrafficSourceWebhook, "The created webhook object."), ...errors(400, 401, 403, 404, 409, 413, 415, SOURCE_ERRORS) },
        detail: {
          operationId: "createTrafficSourceWebhook",
          summary: "Create Webhook",
          description:
            "Registers a new webhook to receive automatic notifications from a specific traffic source. Each traffic " +
            "source can have only one webhook per severity level (409 otherwise). `value` is a Discord webhook URL " +
            "(https://discord.com/api/webhooks/{id}/{token}; discordapp.com, canary. and ptb. hosts accepted) or a " +
            "Discord channel id (digits; sent with the bot token). A missing token is answered with 400, an invalid " +
            "or expired one with 401.",
        },
      },
    )
    .get(
      "/:trafficSourceId",
      ({ params, user }) => webhooks.listTrafficSourceWebhooks(store, scopeOf(params, user)),
      {
        user: true,
        params: TrafficSourceParams,
        response: { 200: t.Array(TrafficSourceWebhook, { description: "The source's webhooks: fatal, then warning, then info." }), ...errors(400, 401, 403, 404, SOURCE_ERRORS) },
        detail: { operationId: "listTrafficSourceWebhooks", summary: "List webhooks", description: "The traffic source's webhooks (at most one per level), fatal first, then warning, then info." },
      },
    )
    .patch(
      "/:trafficSourceId/:id",
      ({ params, body, user }) => webhooks.updateTrafficSourceWebhook(store, scopeOf(params, user), params.id, body),
      {
        user: true,
        params: TrafficSourceWebhookParams,
        body: UpdateTrafficSourceWebhookBody,
        response: { 200: described(TrafficSourceWebhook, "The updated webhook."), ...errors(400, 401, 403, 404, 409, 413, 415, SOURCE_ERRORS) },
        detail: {
          operationId: "updateTrafficSourceWebhook",
          summary: "Update webhook",
          description: "Partial update of `type`, `level` and `value`. Moving to a level that already has a webhook is 409.",
        },
      },
    )
    .delete(
      "/:trafficSourceId/:id",
      async ({ params, user, set }) => {
        await webhooks.deleteTrafficSourceWebhook(store, scopeOf(params, user), params.id);
        set.status = 204;
      },
      {
        user: true,
        params: TrafficSourceWebhookParams,
        response: { 204: t.Void({ description: "Deleted." }), ...errors(400, 401, 403, 404, SOURCE_ERRORS) },
        detail: { operationId: "deleteTrafficSourceWebhook", summary: "Delete webhook", description: "Deletes the webhook and its pending alert deliveries." },
      },
    );
}

/** All of surface B's traffic-source routes, as one plugin. */
export function trafficSourceRoutes(deps: AppDeps) {
  return new Elysia().use(sourceRoutes(deps)).use(trafficSourceWebhookRoutes(deps));
}
