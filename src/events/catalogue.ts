// The event types a link webhook may subscribe to and an application may publish.
export const EVENT_TYPES = [
  "link.created",
  "link.updated",
  "link.deleted",
  "link.clicked",
  "uptime.down",
  "uptime.up",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_DESCRIPTIONS: Record<EventType, string> = {
  "link.created": "A short link was created.",
  "link.updated": "A short link's destination or settings changed.",
  "link.deleted": "A short link was deleted.",
  "link.clicked": "A short link was followed.",
  "uptime.down": "An uptime check found the destination unreachable.",
  "uptime.up": "An uptime check found the destination reachable again.",
};

/** Sent by `POST /api/v1/links/webhooks/:id/test`; deliverable to any webhook, never subscribable. */
export const TEST_EVENT_TYPE = "webhook.test";
