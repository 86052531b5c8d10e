// The event types a link webhook may subscribe to and an application may publish.
export const EVENT_TYPES = [
  "link.created",
  "link.updated",
  "link.deleted",
  "link.clicked",
  "uptime.down",
  "uptime.up",
  // Operational events: published by hookrelay itself into the webhook's tenant (events/operational.ts).
  "webhook.disabled",
  "delivery.exhausted",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_DESCRIPTIONS: Record<EventType, string> = {
  "link.created": "A short link was created.",
  "link.updated": "A short link's destination or settings changed.",
  "link.deleted": "A short link was deleted.",
  "link.clicked": "A short link was followed.",
  "uptime.down": "An uptime check found the destination unreachable.",
  "uptime.up": "An uptime check found the destination reachable again.",
  "webhook.disabled":
    "Sent by hookrelay: one of your webhooks was disabled automatically (it answered 410 Gone, or had no successful delivery for DELIVERY_DISABLE_AFTER_HOURS). Not sent for a PATCH active: false.",
  "delivery.exhausted":
    "Sent by hookrelay: a delivery to one of your webhooks failed for good (its retries ran out, or the endpoint answered 410 Gone). Never sent for a delivery of an operational event itself.",
};

/** The types hookrelay publishes itself: subscribable, never published through the API. */
export const OPERATIONAL_EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(["webhook.disabled", "delivery.exhausted"]);

/** Sent by `POST /api/v1/links/webhooks/:id/test`; deliverable to any webhook, never subscribable. */
export const TEST_EVENT_TYPE = "webhook.test";
