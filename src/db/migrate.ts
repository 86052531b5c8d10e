// Applies the SQL files drizzle-kit generated into drizzle/. Runs at every start-up; applied
// migrations are recorded in __drizzle_migrations, so upgrades are automatic. The folder is
// read through the asset root, so the compiled binary applies the copy embedded in it.
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { ASSET_ROOT } from "../assets";
import { join } from "node:path";
import type { Db } from "./client";

export const MIGRATIONS_DIR = join(ASSET_ROOT, "drizzle");

export function migrateDatabase(db: Db, migrationsFolder = MIGRATIONS_DIR): void {
  migrate(db, { migrationsFolder });
}
