// Traffic sources over the store: plain functions, no HTTP. A source belongs to the user who
// created it; only that user may manage it or raise alerts on it.
import type { SourceScope, TrafficSourceRecord, TrafficSourceRefusal } from "../db/aggregates/traffic-sources";
import type { Store } from "../db/store";
import { Conflict, Forbidden, NotFound } from "../http/errors";
import { iso } from "../ids";
import type { TrafficSource } from "./model";

export function toTrafficSource(row: TrafficSourceRecord): TrafficSource {
  return { id: row.id, name: row.name, ownerId: row.ownerId, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

/**
 * The error of each refusal. An unknown source is 404 and another user's is 403, in the order of
 * checks of docs/api-guide.md (surface B): telling the two apart reveals that an id exists, but
 * ids are random UUIDs (122 bits), so they cannot be found by guessing.
 */
const REFUSALS: Record<TrafficSourceRefusal, () => Error> = {
  "no-source": () => new NotFound("The specified traffic source was not found"),
  "not-owner": () => new Forbidden("You do not have permission to manage this traffic source"),
  "level-taken": () => new Conflict("A webhook for this severity level already exists on this traffic source"),
  "no-webhook": () => new NotFound("The specified webhook was not found on this traffic source"),
  "no-alert": () => new NotFound("The specified alert was not found"),
};

/** The store's answer, or the error its refusal stands for. */
export function unlessRefused<T>(answer: T | TrafficSourceRefusal): Exclude<T, string> {
  if (typeof answer === "string") throw REFUSALS[answer as TrafficSourceRefusal]();
  return answer as Exclude<T, string>;
}

export async function createTrafficSource(store: Store, ownerId: string, name: string): Promise<TrafficSource> {
  const now = Date.now();
  return toTrafficSource(await store.trafficSources.create({ id: crypto.randomUUID(), name: name.trim(), ownerId, createdAt: now, updatedAt: now }));
}

export async function listTrafficSources(store: Store, ownerId: string): Promise<TrafficSource[]> {
  return (await store.trafficSources.listOwned(ownerId)).map(toTrafficSource);
}

/** The source if the scope's user may manage it (404 unknown, 403 another user's). */
export async function getTrafficSource(store: Store, scope: SourceScope): Promise<TrafficSource> {
  return toTrafficSource(unlessRefused(await store.trafficSources.get(scope)));
}
