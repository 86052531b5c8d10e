// Traffic sources (surface B, docs/api-guide.md): a user's sources, each source's Discord
// webhooks (at most one per alert level) and the alerts raised on it. Every operation names the
// source and the user asking, and answers a refusal instead of a result when the source does not
// exist or is not theirs, so ownership is checked in the same transaction as the work.

export type AlertLevel = "fatal" | "warning" | "info";

export interface TrafficSourceRecord {
  id: string;
  name: string;
  ownerId: string;
  createdAt: number;
  updatedAt: number;
}

/** A Discord webhook of a traffic source: where its alerts of one level go. */
export interface TrafficSourceWebhookRecord {
  id: string;
  type: "discord";
  level: AlertLevel;
  /** A Discord webhook URL or channel id (delivery/transports/discord-target.ts). */
  value: string;
  trafficSourceId: string;
  createdAt: number;
  updatedAt: number;
}

export interface TrafficSourceWebhookInput {
  type: "discord";
  level: AlertLevel;
  value: string;
}

/** Which source, asked for by whom. */
export interface SourceScope {
  sourceId: string;
  userId: string;
}

/**
 * Why nothing was done: no such source, a source of another user, a level that already has a
 * webhook, no such webhook or alert on this source.
 */
export type TrafficSourceRefusal = "no-source" | "not-owner" | "level-taken" | "no-webhook" | "no-alert";

export interface NewAlert {
  id: string;
  level: AlertLevel;
  /** The event type it is recorded under (`alert.<level>`). */
  type: string;
  createdAt: number;
  traceParent: string | null;
  /** The Discord message, built from the source it is raised on. */
  body(source: TrafficSourceRecord): string;
}

export interface AlertRecord {
  id: string;
  trafficSourceId: string;
  type: string;
  /** The Discord message sent (JSON text). */
  body: string;
  createdAt: number;
  /** Whether a webhook of its level got a delivery. */
  delivered: boolean;
}

export interface AlertAttemptRecord {
  attemptedAt: number;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
}

export interface AlertDeliveryRecord {
  id: string;
  status: "pending" | "leased" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  /** Oldest first. */
  attemptLog: AlertAttemptRecord[];
}

export interface AlertDetailRecord extends AlertRecord {
  delivery: AlertDeliveryRecord | null;
}

export interface TrafficSourceStore {
  create(source: TrafficSourceRecord): Promise<TrafficSourceRecord>;
  /** The user's sources, oldest first. */
  listOwned(ownerId: string): Promise<TrafficSourceRecord[]>;
  get(scope: SourceScope): Promise<TrafficSourceRecord | TrafficSourceRefusal>;

  addWebhook(scope: SourceScope, webhook: TrafficSourceWebhookInput & { id: string; now: number }): Promise<TrafficSourceWebhookRecord | TrafficSourceRefusal>;
  /** Fatal, then warning, then info. */
  listWebhooks(scope: SourceScope): Promise<TrafficSourceWebhookRecord[] | TrafficSourceRefusal>;
  /** Changes the fields given; moving to a level another webhook has is `level-taken`. */
  updateWebhook(scope: SourceScope, id: string, changes: Partial<TrafficSourceWebhookInput>, now: number): Promise<TrafficSourceWebhookRecord | TrafficSourceRefusal>;
  /** Deletes the webhook with its unsent deliveries. */
  deleteWebhook(scope: SourceScope, id: string): Promise<true | TrafficSourceRefusal>;
  /** Where a Discord delivery goes: the webhook's `value`, null once it is deleted. */
  webhookValue(id: string): Promise<string | null>;

  /** Records the alert and, when its level has a webhook, one delivery to it; answers how many (0 or 1). */
  raiseAlert(scope: SourceScope, alert: NewAlert): Promise<{ source: TrafficSourceRecord; deliveries: number } | TrafficSourceRefusal>;
  /** Newest first, at most `limit`, raised before `before` (epoch ms) when given. */
  listAlerts(scope: SourceScope, page: { limit: number; before?: number }): Promise<AlertRecord[] | TrafficSourceRefusal>;
  /** One alert with its delivery and every attempt. */
  getAlert(scope: SourceScope, alertId: string): Promise<AlertDetailRecord | TrafficSourceRefusal>;
}
