// Raising an alert: the Discord message is built now and written to the outbox with one
// delivery for the source's webhook of that level, in one transaction; the delivery loop
// sends it. A level with no webhook is not an error (a source may choose to hear only
// fatal alerts): the event is recorded with no delivery and the answer says so.
import type { SourceScope } from "../db/aggregates/traffic-sources";
import type { Store } from "../db/store";
import { buildDiscordMessage } from "../delivery/transports/discord-message";
import { iso } from "../ids";
import type { RaiseAlertBody } from "./model";
import { unlessRefused } from "./service";

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

export async function raiseAlert(store: Store, scope: SourceScope, input: RaiseAlertBody, traceParent: string | null = null): Promise<RaisedAlert> {
  const createdAt = Date.now();
  const id = crypto.randomUUID();
  const { level, title, message, fields } = input;
  const raised = await store.trafficSources.raiseAlert(scope, {
    id, level, type: alertEventType(level), createdAt, traceParent,
    body: (source) => JSON.stringify(buildDiscordMessage({ level, title, message, fields, sourceName: source.name, createdAt })),
  });
  const { source, deliveries } = unlessRefused(raised);
  return { id, trafficSourceId: source.id, level, deliveries, createdAt: iso(createdAt) };
}
