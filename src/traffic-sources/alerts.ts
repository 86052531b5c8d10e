// Raising an alert: the Discord message is built now and written to the outbox with one
// delivery for the source's webhook of that level, in one transaction; the delivery loop
// sends it. A level with no webhook is not an error (a source may choose to hear only
// fatal alerts): the event is recorded with no delivery and the answer says so.
import type { Db } from "../db/client";
import { buildDiscordMessage } from "../delivery/transports/discord-message";
import { enqueueEvent, type OutboxTarget } from "../events/outbox";
import { iso } from "../ids";
import { findAlertWebhookForLevel } from "./alert-webhooks";
import type { RaiseAlertBody } from "./model";

export interface RaisedAlert {
  id: string;
  trafficSourceId: string;
  level: string;
  deliveries: number;
  createdAt: string;
}

export function alertEventType(level: RaiseAlertBody["level"]): string {
  return `alert.${level}`;
}

export function raiseAlert(db: Db, source: { id: string; name: string }, input: RaiseAlertBody, traceParent: string | null = null): RaisedAlert {
  const createdAt = Date.now();
  const id = crypto.randomUUID();
  const body = JSON.stringify(
    buildDiscordMessage({ level: input.level, title: input.title, message: input.message, fields: input.fields, sourceName: source.name, createdAt }),
  );
  // better-sqlite3 is synchronous on one connection, so statements issued through `db`
  // inside this callback belong to the transaction.
  const deliveryIds = db.transaction(() => {
    const hook = findAlertWebhookForLevel(db, source.id, input.level);
    const targets: OutboxTarget[] = hook ? [{ transport: "discord", alertWebhookId: hook.id }] : [];
    return enqueueEvent(db, { id, type: alertEventType(input.level), body, createdAt, sourceId: source.id, traceParent }, targets);
  });
  return { id, trafficSourceId: source.id, level: input.level, deliveries: deliveryIds.length, createdAt: iso(createdAt) };
}
