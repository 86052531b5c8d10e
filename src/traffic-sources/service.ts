// Traffic sources over the database: plain functions, no HTTP. A source belongs to the user
// who created it; only that user may manage it or raise alerts on it.
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { trafficSources } from "../db/schema";
import { Forbidden, NotFound } from "../http/errors";
import { iso } from "../ids";
import type { TrafficSource } from "./model";

type SourceRow = typeof trafficSources.$inferSelect;

export function toTrafficSource(row: SourceRow): TrafficSource {
  return { id: row.id, name: row.name, ownerId: row.ownerId, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

export function createTrafficSource(db: Db, ownerId: string, name: string): TrafficSource {
  const now = Date.now();
  const row = db
    .insert(trafficSources)
    .values({ id: crypto.randomUUID(), name: name.trim(), ownerId, createdAt: now, updatedAt: now })
    .returning()
    .get();
  return toTrafficSource(row);
}

export function listTrafficSources(db: Db, ownerId: string): TrafficSource[] {
  return db
    .select()
    .from(trafficSources)
    .where(eq(trafficSources.ownerId, ownerId))
    .orderBy(asc(trafficSources.createdAt), asc(trafficSources.id))
    .all()
    .map(toTrafficSource);
}

/**
 * The source if `userId` may manage it: 404 when no source has that id, 403 when another
 * user owns it, in the order of checks of docs/api-guide.md (surface B). Telling the two apart reveals that an id
 * exists, but ids are random UUIDs (122 bits), so they cannot be found by guessing.
 */
export function findManagedSource(db: Db, sourceId: string, userId: string): SourceRow {
  const row = db.select().from(trafficSources).where(eq(trafficSources.id, sourceId)).get();
  if (!row) throw new NotFound("The specified traffic source was not found");
  if (row.ownerId !== userId) throw new Forbidden("You do not have permission to manage this traffic source");
  return row;
}
