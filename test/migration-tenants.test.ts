// Upgrade to tenancy: a database written by the release before it (test/fixtures/release-0.1.0,
// made by that release's own code) is migrated at start-up into the `default` tenant with
// nothing lost, and behaves as it did: its keys work, its idempotency keys and own event ids
// replay, its pending deliveries are delivered with their original webhook-id.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config";
import { closeDatabase, openDatabase, type Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { SqliteStore } from "../src/db/sqlite/store";
import { createDeliveryLoop, type DeliveryLoop } from "../src/delivery/loop";
import { createLogger } from "../src/log";
import { AppMetrics } from "../src/metrics/app-metrics";
import { startReceiver, waitFor, type Receiver } from "./helpers/delivery";
import { tempDir } from "./helpers/app";

const FIXTURE = join(import.meta.dir, "fixtures/release-0.1.0");
const release = JSON.parse(readFileSync(join(FIXTURE, "release-0.1.0.json"), "utf8"));

let db: Db;
let loop: DeliveryLoop;
let app: ReturnType<typeof buildApp>;
let receiver: Receiver;
let before: Record<string, number>;

const TABLES = ["webhooks", "events", "deliveries", "delivery_attempts", "api_keys", "users", "traffic_sources", "traffic_source_webhooks"];
const countRows = () => Object.fromEntries(TABLES.map((t) => [t, db.$client.prepare(`select count(*) from ${t}`).pluck().get() as number]));

async function call(method: string, path: string, body?: unknown, key = release.adminKey, headers: Record<string, string> = {}) {
  const res = await app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

beforeAll(() => {
  const path = join(tempDir(), "hookrelay.db");
  copyFileSync(join(FIXTURE, "release-0.1.0.db"), path);
  const config = loadConfig({ DATABASE_PATH: path, DELIVERY_ALLOW_PRIVATE: "1", DELIVERY_POLL_MS: "20" });
  db = openDatabase(path);
  before = countRows();
  migrateDatabase(db); // what start-up does
  const store = new SqliteStore(db);
  loop = createDeliveryLoop({ config, store, logger: createLogger("silent") });
  app = buildApp({ config, db, store, logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: loop.wake, delivery: loop });
  receiver = startReceiver();
});

afterAll(async () => {
  await loop.stop(200);
  receiver.stop();
  closeDatabase(db);
});

describe("a release-0.1.0 database after the upgrade", () => {
  test("keeps every row, and every row is in the default tenant", () => {
    expect(countRows()).toEqual(before);
    expect(db.$client.prepare("select id from tenants").pluck().all()).toEqual(["default"]);
    for (const table of ["webhooks", "events", "deliveries"]) {
      expect(db.$client.prepare(`select distinct tenant_id from ${table}`).pluck().all()).toEqual(["default"]);
    }
    // Until now an event's id was the id everyone saw.
    expect(db.$client.prepare("select count(*) from events where public_id is null or public_id != id").pluck().get()).toBe(0);
    // Its alert names its traffic source, found through its Discord delivery.
    expect(db.$client.prepare("select source_id from events where type like 'alert.%'").pluck().all()).toEqual([release.sourceId]);
    // The old keys are platform keys that may publish.
    expect(db.$client.prepare("select distinct tenant_id is null, can_publish, kind from api_keys").raw().all()).toEqual([[1, 1, "api_key"]]);
  });

  test("its keys still work, and its webhooks read as before with tenant_id default", async () => {
    const listed = await call("GET", "/api/v1/links/webhooks?limit=100", undefined, release.ciKey);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((w: { id: string }) => w.id).sort()).toEqual(Object.values(release.webhooks).sort());
    const off = await call("GET", `/api/v1/links/webhooks/${release.webhooks.off}`);
    expect(off.body.data).toMatchObject({ active: false, metadata: { team: "ops" }, tenant_id: "default" });
  });

  test("its idempotency keys and own event ids replay the original events", async () => {
    const keyed = await call("POST", "/api/v1/events", { type: "link.clicked", data: { n: 1 } }, release.adminKey, { "idempotency-key": "order-1" });
    expect(keyed.status).toBe(202);
    expect(keyed.headers.get("idempotent-replayed")).toBe("true");
    expect(keyed.body.data).toEqual(release.events.keyed);
    const own = await call("POST", "/api/v1/events", { type: "uptime.down", data: { n: 2 }, id: "evt_client_1" });
    expect(own.headers.get("idempotent-replayed")).toBe("true");
    expect(own.body.data).toEqual(release.events.ownId);
  });

  test("its delivered and failed deliveries keep their attempts; its pending ones are delivered with the original webhook-id", async () => {
    const log = await call("GET", `/api/v1/links/webhooks/${release.webhooks.failing}/deliveries`);
    const failed = log.body.data.find((d: { status: string }) => d.status === "failed");
    expect(failed.event_id).toBe(release.events.keyed.id);
    expect((await call("GET", `/api/v1/deliveries/${failed.id}`)).body.data.attempt_log).toHaveLength(1);

    await call("PATCH", `/api/v1/links/webhooks/${release.webhooks.ok}`, { url: receiver.url });
    await call("PATCH", `/api/v1/links/webhooks/${release.webhooks.failing}`, { url: receiver.url });
    loop.start();
    await waitFor(() => receiver.received.length >= 2, 5000, "the two pending deliveries");
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([release.events.pending.id, release.events.pending.id]);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ id: release.events.pending.id, type: "link.clicked", data: { n: 3 } });
  });

  test("its users sign in and see their traffic sources", async () => {
    const login = await app.handle(
      new Request("http://localhost/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: release.email, password: release.password }),
      }),
    );
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const sources = await app.handle(new Request("http://localhost/traffic-sources", { headers: { authorization: `Bearer ${token}` } }));
    expect(((await sources.json()) as { id: string }[]).map((s) => s.id)).toEqual([release.sourceId]);
  });
});
