// The PostgreSQL store's migrations (src/db/postgres/schema.ts → drizzle-pg/):
// `bun run db:generate:pg`. The SQLite ones stay in drizzle.config.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/postgres/schema.ts",
  out: "./drizzle-pg",
});
