// Rows put back without an attempt (an endpoint that hangs: src/delivery/endpoint-queues.ts) are
// still work in the database: SIGKILL the real server while they wait, start it again, let the
// endpoint answer, and every event arrives.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { waitFor } from "./helpers/delivery";
import { rawServer } from "./helpers/faults";
import { startServerProcess, type ServerProcess } from "./helpers/process";

const EVENTS = 40;
const dir = tempDir("hookrelay-crash-hanging-");
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const server of servers) await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  DATABASE_PATH: join(dir, "hookrelay.db"),
  ADMIN_API_KEY: ADMIN_KEY,
  DELIVERY_ALLOW_PRIVATE: "1",
  DELIVERY_CONCURRENCY: "4",
  DELIVERY_TIMEOUT_MS: "500",
  DELIVERY_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1",
  DELIVERY_POLL_MS: "50",
};

const deferredTotal = async (url: string) => Number(/\nhookrelay_delivery_deferred_total (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);

test("SIGKILL while a hanging endpoint's rows wait put back: after a restart every event arrives", async () => {
  // Reads requests; answers 200 (and closes) only once `answering` is set.
  let answering = false;
  const seen = new Set<string>();
  const endpoint = rawServer((socket, _count, bytes) => {
    if (!answering) return;
    const id = /\r\nwebhook-id: ([^\r]+)\r\n/i.exec(bytes.toString("latin1"))?.[1];
    if (id) seen.add(id);
    socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    socket.end();
  });
  try {
    const first = await startServerProcess(env);
    servers.push(first);
    const api = (path: string, body: unknown) =>
      fetch(first.url + path, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await api("/api/v1/links/webhooks", { url: `http://127.0.0.1:${endpoint.port}/hook`, events: ["link.clicked"] })).status).toBe(201);
    const published = await Promise.all(Array.from({ length: EVENTS }, (_, n) => api("/api/v1/events", { type: "link.clicked", data: { n } }).then((r) => r.json())));
    const ids = published.map((res) => (res as { data: { id: string } }).data.id);
    expect(new Set(ids).size).toBe(EVENTS);

    // The first round times out, then rows are put back; kill it while they wait.
    await waitFor(async () => (await deferredTotal(first.url)) > 0, 10_000, "rows put back");
    await first.kill();

    answering = true;
    const second = await startServerProcess(env);
    servers.push(second);
    // Put-back rows are due again within a few timeouts; leased ones when their lease expires.
    await waitFor(() => ids.every((id) => seen.has(id)), 25_000, "every event at the endpoint after the restart");
    expect(await second.stop()).toBe(0);
  } finally {
    endpoint.stop();
  }
}, 40_000);
