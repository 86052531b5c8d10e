// A traffic source's Discord webhooks, at most one per level: the store refuses a second one
// for a level (409), whichever of two racing requests comes second.
import type { SourceScope, TrafficSourceWebhookRecord } from "../db/aggregates/traffic-sources";
import type { Store } from "../db/store";
import { iso } from "../ids";
import type { CreateTrafficSourceWebhookBody, TrafficSourceWebhook, UpdateTrafficSourceWebhookBody } from "./model";
import { unlessRefused } from "./service";

/** Exactly the documented object, in the documented key order. */
export function toTrafficSourceWebhook(row: TrafficSourceWebhookRecord): TrafficSourceWebhook {
  return {
    id: row.id,
    type: row.type,
    level: row.level,
    value: row.value,
    trafficSourceId: row.trafficSourceId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export async function createTrafficSourceWebhook(store: Store, scope: SourceScope, input: CreateTrafficSourceWebhookBody): Promise<TrafficSourceWebhook> {
  const created = await store.trafficSources.addWebhook(scope, { id: crypto.randomUUID(), now: Date.now(), ...input });
  return toTrafficSourceWebhook(unlessRefused(created));
}

export async function listTrafficSourceWebhooks(store: Store, scope: SourceScope): Promise<TrafficSourceWebhook[]> {
  return unlessRefused(await store.trafficSources.listWebhooks(scope)).map(toTrafficSourceWebhook);
}

export async function updateTrafficSourceWebhook(
  store: Store,
  scope: SourceScope,
  id: string,
  input: UpdateTrafficSourceWebhookBody,
): Promise<TrafficSourceWebhook> {
  return toTrafficSourceWebhook(unlessRefused(await store.trafficSources.updateWebhook(scope, id, input, Date.now())));
}

/** Deleting a webhook also drops its pending deliveries (ON DELETE CASCADE). */
export async function deleteTrafficSourceWebhook(store: Store, scope: SourceScope, id: string): Promise<void> {
  unlessRefused(await store.trafficSources.deleteWebhook(scope, id));
}
