// Another process holds SQLite's write lock (a real child process in BEGIN IMMEDIATE) while the
// real server runs: /health keeps answering, publishes wait and get 202 once the lock is released
// or, if it is held past the server's patience, 503 with Retry-After (never 500, nothing of
// them stored), and the delivery loop carries on afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { WRITE_LOCK_PATIENCE_MS } from "../src/db/busy";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor, type Receiver } from "./helpers/delivery";
import { startServerProcess, type ServerProcess } from "./helpers/process";
import { holdWriteLock } from "./helpers/write-lock";

const dir = tempDir("hookrelay-contention-");
const databasePath = join(dir, "hookrelay.db");
let server: ServerProcess;
let rx: Receiver;
/** Ids of every event answered 202. */
const accepted = new Set<string>();
let webhookId: string;

beforeAll(async () => {
  rx = startReceiver();
  server = await startServerProcess({
    DATABASE_PATH: databasePath,
    ADMIN_API_KEY: ADMIN_KEY,
    DELIVERY_ALLOW_PRIVATE: "1",
    DELIVERY_POLL_MS: "50",
  });
  const created = await api("POST", "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"] });
  expect(created.status).toBe(201);
  webhookId = ((await created.json()) as { data: { id: string } }).data.id;
});
afterAll(async () => {
  await server?.kill();
  rx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

async function publish(n: number): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await api("POST", "/api/v1/events", { type: "link.clicked", data: { n } });
  const body = await res.json();
  if (res.status === 202) accepted.add(body.data.id);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body };
}

/** /health answers while the lock is held (a frozen event loop would not answer until it is released). */
async function healthAnswers(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await fetch(server.url + "/health", { signal: AbortSignal.timeout(4_000) });
    expect(res.status).toBe(200);
    await Bun.sleep(50);
  }
}

const delivered = () => new Set(rx.received.map((r) => r.headers["webhook-id"]));

describe("another process holds the write lock", () => {
  test("briefly: /health keeps answering, publishes wait for the lock and get 202, and all are delivered", async () => {
    expect((await publish(0)).status).toBe(202);
    const lock = await holdWriteLock(databasePath);
    let answered = 0;
    const publishes = Array.from({ length: 10 }, (_, i) => publish(i + 1).finally(() => answered++));
    await healthAnswers(3);
    // Still waiting: the lock is held, and the server's patience is not used up.
    expect(answered).toBe(0);
    await lock.release();
    const results = await Promise.all(publishes);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(202));
    await waitFor(() => [...accepted].every((id) => delivered().has(id)), 15_000, "every accepted event delivered");
  }, 30_000);

  test("past the server's patience: 503 with Retry-After in the envelope, never 500, nothing stored; then it carries on", async () => {
    const lock = await holdWriteLock(databasePath);
    let released = false;
    try {
      const publishes = Array.from({ length: 5 }, (_, i) => publish(100 + i));
      // Writes outside the group commit (creating a user, updating a webhook) are refused the same way.
      const user = api("POST", "/api/v1/users", { email: "busy@example.com", password: "a long password" });
      const updates = await Promise.all(Array.from({ length: 20 }, (_, i) => api("PATCH", `/api/v1/links/webhooks/${webhookId}`, { metadata: { i } })));
      for (const res of updates) {
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
      }
      await healthAnswers(5);
      const results = await Promise.all(publishes);
      for (const r of results) {
        expect(r.status).toBe(503);
        expect(r.retryAfter).toBe("1");
        expect(r.body).toEqual({ error: "Service Unavailable", message: "The database is busy. Retry in 1 second", code: 503 });
      }
      const userRes = await user;
      expect(userRes.status).toBe(503);
      expect(userRes.headers.get("retry-after")).toBe("1");
      await healthAnswers(2);
      await lock.release();
      released = true;
    } finally {
      if (!released) await lock.release();
    }
    expect(server.proc.exitCode).toBeNull();
    // Nothing refused was stored: the events table holds exactly the accepted events.
    const reader = new Database(databasePath, { readonly: true });
    const ids = (reader.prepare("SELECT id FROM events").all() as { id: string }[]).map((r) => r.id);
    reader.close();
    expect(new Set(ids)).toEqual(accepted);
    // The loop resumed: a new event is delivered, and so is everything accepted before.
    expect((await publish(200)).status).toBe(202);
    await waitFor(() => [...accepted].every((id) => delivered().has(id)), 15_000, "every accepted event delivered after the lock");
    expect((await api("POST", "/api/v1/users", { email: "busy@example.com", password: "a long password" })).status).toBe(201);
  }, 30_000 + WRITE_LOCK_PATIENCE_MS);
});
