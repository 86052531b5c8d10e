// Many nodes on one PostgreSQL database (docs/scaling.md), proved on real server processes: three
// `serve` processes share one outbox, one is SIGKILLed mid-drain and restarted, and every event
// still arrives, duplicates coming only from what the killed node had in flight; a key revoked
// through one node is refused by another on its next request; three nodes started at the same
// instant on an empty database migrate it once and make one bootstrap key; a node that polls
// once an hour still delivers within milliseconds what another node committed (LISTEN/NOTIFY).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { PostgresStore } from "../src/db/postgres/store";
import { ADMIN_KEY } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres";
import { startServerProcess, type ServerProcess } from "./helpers/process";

/** The figure; MULTI_NODE_EVENTS lowers it for a quick local run. */
const EVENTS = Number(process.env.MULTI_NODE_EVENTS ?? 100_000);
const CONCURRENCY = 16;

let pg: TestPostgres;
const servers: ServerProcess[] = [];
beforeAll(async () => {
  pg = await startTestPostgres();
}, 30_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  await pg?.stop();
});

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

async function startNode(url: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess(
    {
      DATABASE_URL: url,
      ADMIN_API_KEY: ADMIN_KEY,
      DELIVERY_ALLOW_PRIVATE: "1",
      DELIVERY_CONCURRENCY: String(CONCURRENCY),
      DELIVERY_TIMEOUT_MS: "2000",
      DELIVERY_POLL_MS: "100",
      ...env,
    },
    { startTimeoutMs: 60_000 },
  );
  servers.push(server);
  return server;
}

function api(node: ServerProcess, method: string, path: string, body?: unknown, key = ADMIN_KEY) {
  return fetch(node.url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("three nodes, one killed mid-drain", () => {
  test(`${EVENTS} events published across three nodes all arrive; duplicates only from the killed node's in-flight requests`, async () => {
    const url = await pg.createDatabase();
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const inFlight = new Map<string, number>();
    const received = new Map<string, number>();
    const firstSeenAt = new Map<string, number>();
    let overlaps = 0;
    const rx = startReceiver(async (req) => {
      const id = req.headers["webhook-id"]!;
      const now = inFlight.get(id) ?? 0;
      if (now > 0) overlaps++; // two nodes hold the same delivery at once
      inFlight.set(id, now + 1);
      if (!firstSeenAt.has(id)) firstSeenAt.set(id, Date.now());
      await Bun.sleep(2);
      inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
      received.set(id, (received.get(id) ?? 0) + 1);
      return new Response(null, { status: 204 });
    });
    try {
      const nodes = await Promise.all(ports.map((port) => startNode(url, { PORT: String(port) })));
      const startedAt = Date.now();
      const created = await api(nodes[0]!, "POST", "/api/v1/links/webhooks", { url: rx.url, events: ["link.clicked"] });
      expect(created.status).toBe(201);

      // Mid-drain (a third of the events received, deliveries in flight on every node), node 2
      // is killed and, half a second later, started again under the same name.
      let killedAt = 0;
      let alive = [nodes[0]!, nodes[1]!, nodes[2]!];
      const killer = (async () => {
        await waitFor(() => received.size >= EVENTS / 3, 300_000, "a third received");
        alive = [nodes[0]!, nodes[2]!];
        await nodes[1]!.kill();
        killedAt = Date.now();
        await Bun.sleep(500);
        nodes[1] = await startNode(url, { PORT: String(ports[1]) });
        alive = [nodes[0]!, nodes[1]!, nodes[2]!];
      })();

      // Publishing goes round the nodes alive; one that dies under a request is asked again on
      // another node with the same Idempotency-Key, which answers with the same event.
      const published = new Set<string>();
      const publish = async (n: number): Promise<string> => {
        for (let attempt = 0; ; attempt++) {
          const node = alive[(n + attempt) % alive.length]!;
          try {
            const res = await fetch(node.url + "/api/v1/events", {
              method: "POST",
              headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", "idempotency-key": `multi-${n}` },
              body: JSON.stringify({ type: "link.clicked", data: { n } }),
            });
            if (res.status === 202 || res.status === 200) return ((await res.json()) as { data: { id: string } }).data.id;
            throw new Error(`publish answered ${res.status}`);
          } catch (e) {
            if (attempt >= 5) throw e;
            await Bun.sleep(50);
          }
        }
      };
      const BATCH = 60;
      for (let i = 0; i < EVENTS; i += BATCH) {
        const ids = await Promise.all(Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) => publish(i + j)));
        for (const id of ids) published.add(id);
      }
      await killer;
      expect(published.size).toBe(EVENTS);
      await waitFor(() => [...published].every((id) => received.has(id)), 240_000, "every event received");

      expect(overlaps).toBe(0);
      const duplicates = [...received].filter(([, n]) => n > 1).map(([id]) => id);
      // For the record (docs/scaling.md cites it): what this run saw.
      console.log(`multi-node: ${EVENTS} events, ${[...received.values()].reduce((a, b) => a + b, 0)} requests received, ${duplicates.length} duplicated, all in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      // What the killed node had sent but not recorded: its requests in flight and the outcomes
      // it gathered for its next write. Each was first received before the kill.
      expect(duplicates.length).toBeLessThanOrEqual(4 * CONCURRENCY);
      for (const id of duplicates) expect(firstSeenAt.get(id)!).toBeLessThanOrEqual(killedAt);
      // Every delivery is recorded as delivered: nothing left pending or leased.
      const client = new SQL({ url, max: 1 });
      try {
        await waitFor(async () => {
          const rows = await client`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status`;
          return rows.length === 1 && rows[0].status === "delivered" && rows[0].n === EVENTS;
        }, 30_000, "every delivery recorded as delivered");
      } finally {
        await client.close();
      }
    } finally {
      rx.stop();
      await Promise.all(servers.splice(0).map((s) => s.kill()));
    }
  }, 600_000);
});

describe("nodes sharing a database", () => {
  let url: string;
  beforeAll(async () => {
    url = await pg.createDatabase();
  });

  test("a key revoked through node A is refused by node B on its next request", async () => {
    const [a, b] = await Promise.all([startNode(url), startNode(url)]);
    const created = await api(a, "POST", "/api/v1/api-keys", { name: "ci" });
    expect(created.status).toBe(201);
    const { id, key } = ((await created.json()) as { data: { id: string; key: string } }).data;
    expect((await api(b, "GET", "/api/v1/links/webhooks", undefined, key)).status).toBe(200);
    expect((await api(a, "DELETE", `/api/v1/api-keys/${id}`)).status).toBe(200);
    expect((await api(b, "GET", "/api/v1/links/webhooks", undefined, key)).status).toBe(401);
  }, 120_000);

  test("a node that polls once an hour delivers what another node committed within milliseconds", async () => {
    const rx = startReceiver();
    try {
      const node = await startNode(url, { DELIVERY_POLL_MS: "3600000" });
      const created = await api(node, "POST", "/api/v1/links/webhooks", { url: rx.url, events: ["link.created"] });
      const webhookId = ((await created.json()) as { data: { id: string } }).data.id;
      // The other node: a store of this process on the same database.
      const client = new SQL({ url, max: 1 });
      try {
        const other = new PostgresStore(client);
        for (let i = 0; i < 5; i++) {
          const before = rx.received.length;
          const now = Date.now();
          await other.publish.enqueue(
            { id: `evt_wake_${i}`, tenantId: "default", type: "link.created", body: `{"i":${i}}`, createdAt: now },
            [{ transport: "http", webhookId }],
          );
          // Far below the poll interval: only the notification can have woken the node.
          await waitFor(() => rx.received.length > before, 5_000, `delivery ${i} woken by NOTIFY`);
        }
      } finally {
        await client.close();
      }
    } finally {
      rx.stop();
    }
  }, 120_000);

  test("three nodes started at the same instant on an empty database migrate it once and make one key", async () => {
    const empty = await pg.createDatabase();
    const nodes = await Promise.all([0, 1, 2].map(() => startNode(empty, { ADMIN_API_KEY: "" })));
    const printed = nodes.map((n) => /No API key was configured[\s\S]*?\n\n {4}(\S+)\n/.exec(n.output())?.[1]).filter(Boolean) as string[];
    expect(printed).toHaveLength(1);
    for (const node of nodes) {
      expect((await fetch(`${node.url}/ready`)).status).toBe(200);
      expect((await api(node, "GET", "/api/v1/links/webhooks", undefined, printed[0]!)).status).toBe(200);
    }
  }, 120_000);
});
