// A fifo webhook's order survives a crash (docs/architecture.md, Delivery controls): the real
// server is SIGKILLed while it sends a fifo webhook's events, started again on the same file,
// and the receiver still sees them one at a time, in publish order. At least once: the event in
// flight at the kill may come twice, one right after the other, and nothing overtakes it.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { startServerProcess, type ServerProcess } from "./helpers/process";

const EVENTS = 200;
const dir = tempDir("hookrelay-crash-fifo-");
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const server of servers) await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess({
    DATABASE_PATH: join(dir, "hookrelay.db"),
    ADMIN_API_KEY: ADMIN_KEY,
    DELIVERY_ALLOW_PRIVATE: "1",
    DELIVERY_CONCURRENCY: "16",
    DELIVERY_TIMEOUT_MS: "1000",
    DELIVERY_POLL_MS: "50",
    DELIVERY_RETRY_SCHEDULE: "0.01,0.01,0.01,0.01,0.01",
  });
  servers.push(server);
  return server;
}

test("SIGKILL mid-line: after the restart the line goes on in publish order, one at a time", async () => {
  const seen: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const rx = startReceiver(async (req) => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await Bun.sleep(3);
    seen.push((JSON.parse(req.body).data as { n: number }).n);
    inFlight--;
    return new Response(null, { status: 204 });
  });
  try {
    const first = await startServer();
    const api = (url: string, path: string, body: unknown) =>
      fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await api(first.url, "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"], ordering: "fifo" })).status).toBe(201);
    for (let n = 0; n < EVENTS; n++) expect((await api(first.url, "/api/v1/events", { type: "link.clicked", data: { n } })).status).toBe(202);
    await waitFor(() => seen.length >= 20, 20_000, "some deliveries before the kill");
    await first.kill();
    const beforeRestart = new Set(seen).size;
    expect(beforeRestart).toBeLessThan(EVENTS);

    const second = await startServer();
    await waitFor(() => new Set(seen).size === EVENTS, 30_000, "every event after the restart");
    expect(mostInFlight).toBe(1);
    // Non-decreasing: a repeat only of the one before (the event in flight at the kill).
    for (let i = 1; i < seen.length; i++) expect(seen[i]! - seen[i - 1]!).toBeOneOf([0, 1]);
    expect(seen[0]).toBe(0);
    expect(await second.stop()).toBe(0);
  } finally {
    rx.stop();
  }
}, 60_000);
