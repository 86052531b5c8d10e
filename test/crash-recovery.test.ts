// The at-least-once claim, tested on real processes: publish 1,000 events to the real server,
// SIGKILL it mid-delivery, start it again on the same database file, and check that every
// event reached the receiver (distinct webhook-id values). Duplicates are allowed; losses are not.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { startServerProcess, type ServerProcess } from "./helpers/process";

const EVENTS = 1000;
const dir = tempDir("hookrelay-crash-");
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const server of servers) await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `bun src/index.ts` on the shared database file; resolves once it listens. */
async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({
    DATABASE_PATH: join(dir, "hookrelay.db"),
    ADMIN_API_KEY: ADMIN_KEY,
    DELIVERY_ALLOW_PRIVATE: "1",
    DELIVERY_CONCURRENCY: "16",
    DELIVERY_TIMEOUT_MS: "1000",
    DELIVERY_POLL_MS: "50",
    ...env,
  });
  servers.push(server);
  return server;
}

test("SIGKILL mid-delivery loses no event", async () => {
  // The receiver holds every request until publishing is over, then answers slowly, so the kill
  // lands with deliveries done, in flight and still queued.
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const seen = new Set<string>();
  const rx = startReceiver(async (req) => {
    await gate;
    await Bun.sleep(5);
    seen.add(req.headers["webhook-id"]!);
    return new Response(null, { status: 204 });
  });
  try {
    const first = await startServer();
    const api = (url: string, path: string, body: unknown) =>
      fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const created = await api(first.url, "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"] });
    expect(created.status).toBe(201);

    const published = new Set<string>();
    for (let i = 0; i < EVENTS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => api(first.url, "/api/v1/events", { type: "link.clicked", data: { n: i + j } }).then((r) => r.json())),
      );
      for (const res of batch) published.add((res as { data: { id: string } }).data.id);
    }
    expect(published.size).toBe(EVENTS);

    openGate();
    await waitFor(() => seen.size >= 200, 20_000, "200 deliveries before the kill");
    await first.kill();
    const beforeRestart = seen.size;
    expect(beforeRestart).toBeLessThan(EVENTS);

    const second = await startServer();
    await waitFor(() => seen.size === EVENTS, 30_000, "every event after the restart");
    expect([...published].every((id) => seen.has(id))).toBe(true);
    expect(rx.received.length).toBeGreaterThanOrEqual(EVENTS);
    // Rows leased by the killed process are released when the new one starts: the queue empties.
    await waitFor(
      async () => (await (await fetch(second.url + "/metrics")).text()).includes("\nhookrelay_delivery_queue_depth 0\n"),
      20_000,
      "an empty queue",
    );

    expect(await second.stop()).toBe(0);
  } finally {
    rx.stop();
  }
}, 60_000);

test("SIGTERM drains in-flight requests for a bounded time and releases the rest at once", async () => {
  // Requests hang until released, so the drain (DELIVERY_TIMEOUT_MS, 2 s) runs out.
  let hanging = true;
  const rx = startReceiver(async () => {
    while (hanging) await Bun.sleep(20);
    return new Response(null, { status: 204 });
  });
  const env = { DATABASE_PATH: join(dir, "sigterm.db"), DELIVERY_CONCURRENCY: "4", DELIVERY_TIMEOUT_MS: "2000" };
  try {
    const first = await startServer(env);
    const api = (url: string, path: string, body: unknown) =>
      fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await api(first.url, "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"] })).status).toBe(201);
    for (let i = 0; i < 10; i++) expect((await api(first.url, "/api/v1/events", { type: "link.clicked", data: { i } })).status).toBe(202);
    await waitFor(() => rx.received.length === 4, 5000, "4 requests in flight");
    expect(await first.stop()).toBe(0);

    hanging = false;
    // Leases last 3 × 2 s; released rows are due at once, so everything arrives well before that.
    const second = await startServer(env);
    const ids = () => new Set(rx.received.map((r) => r.headers["webhook-id"]));
    await waitFor(() => ids().size === 10, 4000, "all 10 events before any lease could expire");
    expect(await second.stop()).toBe(0);
  } finally {
    hanging = false;
    rx.stop();
  }
}, 30_000);
