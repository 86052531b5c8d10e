// Applies the SQL files drizzle-kit generated into drizzle/. Runs at every start-up; applied
// migrations are recorded in __drizzle_migrations, so upgrades are automatic.
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { join } from "node:path";
import type { Db } from "./client";

export const MIGRATIONS_DIR = join(import.meta.dir, "../../drizzle");

export function migrateDatabase(db: Db, migrationsFolder = MIGRATIONS_DIR): void {
  migrate(db, { migrationsFolder });
}
