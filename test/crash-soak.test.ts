// Crash soak: the real server process, publishing steadily, is SIGKILLed at random moments and
// restarted on the same SQLite file. At the end every event that was accepted (202) must have
// reached the receiver at least once. Duplicates are allowed (at-least-once) and counted;
// losses must be 0. `bun run soak` (SOAK=1) kills more often over a longer run.
import { afterAll, expect, test } from "bun:test";
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, tempDir } from "./helpers/app";
import { startReceiver, waitFor } from "./helpers/delivery";
import { Random, seedFromEnv } from "./helpers/fuzz/random";
import { killDuringStart, startServerProcess, type ServerProcess } from "./helpers/process";

const SOAK = process.env.SOAK === "1";
const KILLS = SOAK ? 12 : 3;
const PUBLISHERS = SOAK ? 8 : 4;
const SEED = seedFromEnv(0xc0a5_5eed);

const dir = tempDir("hookrelay-crash-soak-");
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill();
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  DATABASE_PATH: join(dir, "hookrelay.db"),
  ADMIN_API_KEY: ADMIN_KEY,
  DELIVERY_ALLOW_PRIVATE: "1",
  DELIVERY_CONCURRENCY: "8",
  DELIVERY_TIMEOUT_MS: "500", // leases last 3 × this: killed work is due again within 1.5 s
  DELIVERY_POLL_MS: "50",
  DELIVERY_RETRY_SCHEDULE: "0.1,0.2,0.5,1,1,1,1,1,1,1",
};

test(`SIGKILL ${KILLS} times under steady publishing: every accepted event arrives`, async () => {
  const r = new Random(SEED); // kill timing
  const slowness = new Random(SEED + 1); // receiver delays (their order depends on timing)
  // A receiver that is sometimes slow, so deliveries are in flight when the kill lands.
  const receiver = startReceiver(async () => {
    if (slowness.chance(0.2)) await Bun.sleep(slowness.int(5, 60));
    return new Response(null, { status: 204 });
  });
  const headers = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" };

  let server = await startServerProcess(env);
  servers.push(server);
  const hook = await fetch(`${server.url}/api/v1/links/webhooks`, {
    method: "POST",
    headers,
    body: JSON.stringify({ url: receiver.url, events: ["link.clicked"] }),
  });
  expect(hook.status).toBe(201);
  const webhookId = ((await hook.json()) as { data: { id: string } }).data.id;

  const accepted = new Set<string>();
  /** Idempotency-Key → the event id its 202 named: a retry after a kill must name the same one. */
  const idByKey = new Map<string, string>();
  const keyConflicts: string[] = [];
  let retriedPublishes = 0;
  let replays = 0;
  let seq = 0;
  let startupKills = 0;
  let up = true;
  let publishing = true;
  // Like a careful client: each event has an Idempotency-Key, and a publish that died with the
  // process is sent again with the same key until it is acknowledged.
  const publishOne = async (key: string, n: number) => {
    for (;;) {
      if (!up) {
        await Bun.sleep(5);
        continue;
      }
      try {
        const res = await fetch(`${server.url}/api/v1/events`, {
          method: "POST",
          headers: { ...headers, "idempotency-key": key },
          body: JSON.stringify({ type: "link.clicked", data: { seq: n } }),
        });
        if (res.status !== 202) throw new Error(`publish answered ${res.status}`);
        if (res.headers.get("idempotent-replayed") === "true") replays++;
        const id = ((await res.json()) as { data: { id: string } }).data.id;
        const earlier = idByKey.get(key);
        if (earlier !== undefined && earlier !== id) keyConflicts.push(`${key}: ${earlier} then ${id}`);
        idByKey.set(key, id);
        accepted.add(id);
        return;
      } catch {
        retriedPublishes++; // the process died under this request: send it again
        await Bun.sleep(5);
      }
    }
  };
  const publisher = async () => {
    while (publishing) {
      const n = seq++;
      await publishOne(`soak-${SEED}-${n}`, n);
    }
  };
  const publishers = Array.from({ length: PUBLISHERS }, publisher);

  for (let kill = 0; kill < KILLS; kill++) {
    await Bun.sleep(r.int(200, SOAK ? 3000 : 1200));
    up = false;
    await server.kill();
    // Sometimes the restart is killed too, while it opens the database and starts up.
    if (r.chance(0.3)) {
      await killDuringStart(env, r.int(0, 150));
      startupKills++;
    }
    server = await startServerProcess(env);
    servers.push(server);
    up = true;
  }
  await Bun.sleep(r.int(200, 800));
  publishing = false;
  await Promise.all(publishers);

  const received = () => new Set(receiver.received.map((req) => req.headers["webhook-id"]));
  // One set per check: building it per accepted id was quadratic, and with the soak's tens of
  // thousands of events it kept this process (and its receiver) busy for minutes.
  const lost = () => {
    const got = received();
    return [...accepted].filter((id) => !got.has(id));
  };
  // The soak publishes faster than 8 delivery slots drain: its backlog needs longer.
  await waitFor(() => lost().length === 0, SOAK ? 300_000 : 30_000, "every accepted event to arrive").catch(() => {});
  // Redeliveries of work a kill interrupted may still be running: let the queue drain before
  // the graceful stop, so the final state says "delivered" for every row.
  const open = async (status: string) => {
    const res = await fetch(`${server.url}/api/v1/links/webhooks/${webhookId}/deliveries?status=${status}&limit=1`, { headers });
    return ((await res.json()) as { data: unknown[] }).data.length;
  };
  await waitFor(async () => (await open("pending")) + (await open("leased")) === 0, 20_000, "the queue to drain").catch(() => {});
  expect(await server.stop()).toBe(0);
  receiver.stop();

  const counts = new Map<string, number>();
  for (const req of receiver.received) counts.set(req.headers["webhook-id"]!, (counts.get(req.headers["webhook-id"]!) ?? 0) + 1);
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  const unacknowledged = [...counts.keys()].filter((id) => !accepted.has(id)).length;
  const db = new Database(env.DATABASE_PATH, { readonly: true });
  const byStatus = db.prepare("select status, count(*) as n from deliveries group by status").all();
  db.close();
  console.log(
    `[crash-soak] seed=${SEED} kills=${KILLS} (+${startupKills} during start-up) accepted=${accepted.size} ` +
      `retried-publishes=${retriedPublishes} replays=${replays} received=${receiver.received.length} distinct=${counts.size} duplicates=${duplicates} ` +
      `delivered-but-unacknowledged=${unacknowledged} lost=${lost().length} deliveries=${JSON.stringify(byStatus)}`,
  );
  expect(accepted.size).toBeGreaterThan(50 * KILLS);
  expect(lost()).toEqual([]);
  // Idempotency survives the kills: one event per key, and nothing arrived that no key named.
  expect(keyConflicts).toEqual([]);
  expect(accepted.size).toBe(seq);
  expect(unacknowledged).toBe(0);
  // Nothing stuck: after the drain every delivery row is delivered.
  expect(byStatus).toEqual([{ status: "delivered", n: counts.size }]);
}, SOAK ? 900_000 : 60_000);
