// SSRF at delivery time (docs/architecture.md): whatever is stored — a name that resolves to a private
// address (here the /etc/hosts aliases of loopback), or a literal private address saved while
// DELIVERY_ALLOW_PRIVATE was on — is checked again before connecting, the attempt fails with the
// reason logged, and the loopback receiver behind it is never reached, unless private targets
// are allowed. Redirects are never followed (tested with private targets allowed: a public
// receiver is impossible offline). The checks themselves: address-check.test.ts.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { isPrivateAddress } from "../../src/delivery/ssrf";
import { createWebhook } from "../../src/links/service";
import { startReceiver, type Receiver } from "../helpers/delivery";
import { createFaultApp, type FaultApp } from "../helpers/faults";
import { PRIVATE_TARGETS } from "./targets";

// Real receivers, argon2 and loaded CI machines: more than bun's 5 s default per test.
setDefaultTimeout(30_000);

let app: FaultApp;
let receiver: Receiver;
let port: string;
beforeAll(() => {
  app = createFaultApp({ DELIVERY_ALLOW_PRIVATE: "0", DELIVERY_RETRY_SCHEDULE: "" });
  receiver = startReceiver();
  port = new URL(receiver.url).port;
});
afterAll(async () => {
  receiver.stop();
  await app.shutdown();
});

/** Names (not literals, not *.localhost) that this machine resolves to a private address. */
async function privateNames(): Promise<string[]> {
  const candidates = new Set<string>([hostname()]);
  for (const line of readFileSync("/etc/hosts", "utf8").split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (address && names.length) for (const n of names) candidates.add(n);
  }
  const found: string[] = [];
  for (const name of candidates) {
    if (/^localhost\.?$|\.localhost\.?$/i.test(name) || name.includes(":")) continue;
    const answers = await lookup(name, { all: true }).catch(() => []);
    if (answers.length && answers.every((a) => isPrivateAddress(a.address))) found.push(name);
  }
  return found;
}

async function publishAndSettle(webhookIds: string[]) {
  const published = await app.request("POST", "/api/v1/events", { type: "link.clicked", data: {} });
  expect(published.status).toBe(202);
  const rows = app.deps.db.$client
    .prepare(`select id, webhook_id from deliveries where event_id = ? and webhook_id in (${webhookIds.map(() => "?").join(",")})`)
    .all(published.body.data.id, ...webhookIds) as { id: string; webhook_id: string }[];
  expect(rows).toHaveLength(webhookIds.length);
  return Promise.all(rows.map(async (row) => ({ webhookId: row.webhook_id, d: await app.waitDelivery(row.id, (d) => d.status === "failed") })));
}

test("names that resolve to loopback are accepted at create time but refused at delivery, logged", async () => {
  const names = await privateNames();
  // hostname() resolves through /etc/hosts on any Linux box; more aliases are a bonus.
  expect(names.length).toBeGreaterThan(0);
  const ids: string[] = [];
  for (const name of names) {
    const created = await app.request("POST", "/api/v1/links/webhooks", { url: `http://${name}:${port}/hook`, events: ["link.clicked"] });
    expect({ name, status: created.status }).toEqual({ name, status: 201 });
    ids.push(created.body.data.id);
  }
  for (const { d } of await publishAndSettle(ids)) {
    expect(d.attempt_log).toHaveLength(1);
    expect(d.attempt_log[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^Refused: .* resolves to /) });
    expect(app.attemptLogs(d.id)[0]).toMatchObject({ error: d.attempt_log[0].error });
  }
  expect(receiver.received).toHaveLength(0);
});

test("literal private targets stored while private targets were allowed are refused at delivery", async () => {
  // As if created on a development instance (DELIVERY_ALLOW_PRIVATE=1) and served by this one.
  const ids = await Promise.all(PRIVATE_TARGETS.map(async ([, raw]) => {
    const url = new URL(raw);
    if (url.hostname === "127.0.0.1" || url.hostname === "[::1]") url.port = port;
    return (await createWebhook(app.deps.store, "default", { url: url.href, events: ["link.clicked"] }, { allowPrivate: true })).id;
  }));
  const results = await publishAndSettle(ids);
  for (const { d } of results) {
    expect(d.attempt_log).toHaveLength(1);
    expect(d.attempt_log[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^Refused: /) });
  }
  expect(receiver.received).toHaveLength(0);
});

test("DELIVERY_ALLOW_PRIVATE=1 (development) delivers to a name that resolves to loopback", async () => {
  const dev = createFaultApp({ DELIVERY_ALLOW_PRIVATE: "1", DELIVERY_RETRY_SCHEDULE: "" });
  const target = startReceiver();
  try {
    const { deliveryId } = await dev.deliverTo(target.url.replace("127.0.0.1", hostname()));
    const d = await dev.waitDelivery(deliveryId, (x) => x.status === "delivered" || x.status === "failed");
    expect(d.status).toBe("delivered");
    expect(target.received).toHaveLength(1);
  } finally {
    target.stop();
    await dev.shutdown();
  }
});

test("redirects are never followed, whether to loopback, metadata or public addresses", async () => {
  const dev = createFaultApp({ DELIVERY_ALLOW_PRIVATE: "1", DELIVERY_RETRY_SCHEDULE: "" });
  const target = startReceiver();
  const locations = [target.url, "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/", "https://example.com/"];
  const redirectors = locations.map((location) => startReceiver(() => new Response(null, { status: 302, headers: { location } })));
  try {
    for (const redirector of redirectors) {
      const { deliveryId } = await dev.deliverTo(redirector.url);
      const d = await dev.waitDelivery(deliveryId, (x) => x.status === "failed");
      expect(d.attempt_log).toHaveLength(1);
      expect(d.attempt_log[0]).toMatchObject({ status_code: 302, error: expect.stringMatching(/redirect.*not followed/i) });
      expect(redirector.received).toHaveLength(1);
    }
    expect(target.received).toHaveLength(0);
  } finally {
    for (const r of [target, ...redirectors]) r.stop();
    await dev.shutdown();
  }
});
