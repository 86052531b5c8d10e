// Builds the real app over a fresh SQLite file in a temp dir, and a small client for it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../src/app";
import { bootstrapApiKey } from "../../src/auth/api-keys";
import { loadConfig, type Config } from "../../src/config";
import { closeDatabase, openDatabase, type Db } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { SqliteStore } from "../../src/db/sqlite/store";
import type { AppDeps } from "../../src/deps";
import { createLogger } from "../../src/log";
import { AppMetrics } from "../../src/metrics/app-metrics";

export const ADMIN_KEY = "test-admin-key-0123456789";

export interface TestResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  auth?: "bearer" | "x-api-key" | "none" | { bearer: string } | { apiKey: string };
  headers?: Record<string, string>;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
}

export interface TestApp {
  /** Over SQLite: its connection is there for tests that look into the file. */
  deps: AppDeps & { db: Db };
  dir: string;
  app: ReturnType<typeof buildApp>;
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<TestResponse<T>>;
  close(): void;
}

export function tempDir(prefix = "hookrelay-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function createTestApp(env: Record<string, string> = {}): TestApp {
  const dir = tempDir();
  const config: Config = loadConfig({ DATABASE_PATH: join(dir, "test.db"), DELIVERY_ALLOW_PRIVATE: "0", ...env });
  const db = openDatabase(config.databasePath);
  migrateDatabase(db);
  const store = new SqliteStore(db);
  // The SQLite store writes before its promise settles: the key is there when this returns.
  void bootstrapApiKey(store.apiKeys, ADMIN_KEY);
  const deps: AppDeps & { db: Db } = { config, db, store, logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: () => {} };
  const app = buildApp(deps);

  async function request(method: string, path: string, body?: unknown, options: RequestOptions = {}) {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth ?? "bearer";
    if (auth === "bearer") headers.authorization = `Bearer ${ADMIN_KEY}`;
    else if (auth === "x-api-key") headers["x-api-key"] = ADMIN_KEY;
    else if (typeof auth === "object" && "bearer" in auth) headers.authorization = `Bearer ${auth.bearer}`;
    else if (typeof auth === "object" && "apiKey" in auth) headers["x-api-key"] = auth.apiKey;
    let payload: string | Uint8Array | undefined = options.raw;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
      headers["content-type"] = "application/json";
    }
    const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body: payload as BodyInit | undefined }));
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed as any, text, headers: res.headers };
  }

  return {
    deps,
    dir,
    app,
    request,
    close() {
      closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
