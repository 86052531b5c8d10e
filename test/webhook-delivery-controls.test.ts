// A link webhook's own delivery controls (docs/architecture.md, "Per-webhook delivery controls"):
// retry_schedule, timeout_ms and headers through the API (validation, read back, removal) and
// through the real loop to real loopback receivers.
import { afterAll, describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { EndpointQueues, type EndpointJob } from "../src/delivery/endpoint-queues";
import { headerLines } from "../src/delivery/transports/http";
import { createLogger } from "../src/log";
import { createTestApp, type TestApp } from "./helpers/app";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

const hook = { url: "https://hooks.example.com/in", events: ["link.clicked"] };
const PATH = "/api/v1/links/webhooks";

const apps: { close?: () => void; shutdown?: () => Promise<void> }[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  for (const rx of receivers) rx.stop();
  for (const app of apps) await (app.shutdown ? app.shutdown() : app.close!());
});

function api(): TestApp {
  const app = createTestApp();
  apps.push(app);
  return app;
}

const dump = (app: TestApp) => JSON.stringify(app.deps.db.$client.prepare("select * from webhooks order by id").all());
const fields = (res: { body: { details: { field: string }[] } }) => res.body.details.map((d) => d.field);

describe("the API", () => {
  const t = api();

  test("create with every control; reads show them; PATCH changes one, null or {} removes it", async () => {
    const controls = { retry_schedule: [10, 60, 600], timeout_ms: 5000, headers: { Authorization: "Bearer s3cr3t-token", "X-Tenant": "acme" } };
    const created = await t.request("POST", PATH, { ...hook, ...controls });
    expect(created.status).toBe(201);
    // The create answer is the documented six fields, nothing more.
    expect(Object.keys(created.body.data)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);
    const id = created.body.data.id;
    const got = await t.request("GET", `${PATH}/${id}`);
    expect(got.body.data).toMatchObject(controls);
    const listed = await t.request("GET", PATH);
    expect(listed.body.data.find((w: { id: string }) => w.id === id)).toMatchObject(controls);

    const patched = await t.request("PATCH", `${PATH}/${id}`, { timeout_ms: 250 });
    expect(patched.body.data).toMatchObject({ ...controls, timeout_ms: 250 });
    const cleared = await t.request("PATCH", `${PATH}/${id}`, { retry_schedule: null, headers: {} });
    expect(cleared.body.data).toMatchObject({ retry_schedule: null, timeout_ms: 250, headers: null });
    const none = await t.request("PATCH", `${PATH}/${id}`, { timeout_ms: null });
    expect(none.body.data).toMatchObject({ retry_schedule: null, timeout_ms: null, headers: null });
  });

  test("a webhook without controls reads them as null", async () => {
    const created = await t.request("POST", PATH, hook);
    const got = await t.request("GET", `${PATH}/${created.body.data.id}`);
    expect(got.body.data).toMatchObject({ retry_schedule: null, timeout_ms: null, headers: null });
  });

  test("an empty retry_schedule is allowed: one attempt, no retries", async () => {
    const created = await t.request("POST", PATH, { ...hook, retry_schedule: [] });
    expect(created.status).toBe(201);
    expect((await t.request("GET", `${PATH}/${created.body.data.id}`)).body.data.retry_schedule).toEqual([]);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["retry_schedule of 21 delays", { retry_schedule: Array(21).fill(1) }, "retry_schedule"],
    ["a delay of 0", { retry_schedule: [5, 0] }, "retry_schedule"],
    ["a delay over 7 days", { retry_schedule: [604_801] }, "retry_schedule"],
    ["a fractional delay", { retry_schedule: [1.5] }, "retry_schedule"],
    ["delays over 14 days in all", { retry_schedule: [604_800, 604_800, 1] }, "retry_schedule"],
    ["retry_schedule not a list", { retry_schedule: "5,10" }, "retry_schedule"],
    ["timeout_ms under 100", { timeout_ms: 99 }, "timeout_ms"],
    ["timeout_ms over 60000", { timeout_ms: 60_001 }, "timeout_ms"],
    ["timeout_ms fractional", { timeout_ms: 500.5 }, "timeout_ms"],
    ["headers not an object", { headers: ["X-A: 1"] }, "headers"],
    ["more than 20 headers", { headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"])) }, "headers"],
    ["a header value that is not a string", { headers: { "X-Count": 3 } }, "headers.X-Count"],
    ["a header value with a line break", { headers: { "X-Inject": "a\r\nX-Evil: 1" } }, "headers.X-Inject"],
    ["a header value over 1024 characters", { headers: { "X-Long": "v".repeat(1025) } }, "headers.X-Long"],
    ["a header value that is not ASCII", { headers: { "X-Name": "café" } }, "headers.X-Name"],
    ["a header name over 64 characters", { headers: { ["X-" + "n".repeat(63)]: "v" } }, `headers.X-${"n".repeat(63)}`],
  ];
  for (const [name, body, field] of invalid) {
    test(`400 naming ${field} for ${name}, on create and on PATCH, nothing stored`, async () => {
      const existing = (await t.request("POST", PATH, hook)).body.data.id;
      const before = dump(t);
      for (const [method, path, sent] of [["POST", PATH, { ...hook, ...body }], ["PATCH", `${PATH}/${existing}`, body]] as const) {
        const res = await t.request(method, path, sent);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: "Bad Request", code: 400 });
        expect(fields(res)).toContain(field);
        expect(dump(t)).toBe(before);
      }
    });
  }

  test("reserved and malformed header names are all refused at once, each named, case-insensitively; nothing stored", async () => {
    const before = dump(t);
    const headers = {
      "X-Fine": "ok",
      Host: "evil.example",
      "content-length": "0",
      "Content-Type": "text/plain",
      "User-Agent": "spoof",
      "Webhook-Signature": "v1,forged",
      "webhook-id": "msg_x",
      Connection: "close",
      "Keep-Alive": "timeout=5",
      "Proxy-Authorization": "Basic eA==",
      "proxy-authenticate": "Basic",
      TE: "trailers",
      Trailer: "X-A",
      "Transfer-Encoding": "chunked",
      Upgrade: "websocket",
      "bad name": "v",
      "x-fine": "twice",
    };
    const res = await t.request("POST", PATH, { ...hook, headers, url: "ftp://nope" });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual([
      "url", "headers.Host", "headers.content-length", "headers.Content-Type", "headers.User-Agent", "headers.Webhook-Signature", "headers.webhook-id",
      "headers.Connection", "headers.Keep-Alive", "headers.Proxy-Authorization", "headers.proxy-authenticate", "headers.TE", "headers.Trailer",
      "headers.Transfer-Encoding", "headers.Upgrade", "headers.bad name", "headers.x-fine",
    ]);
    expect(dump(t)).toBe(before);
  });
});

describe("delivery", () => {
  function setup(env: Record<string, string>, respond?: Parameters<typeof startReceiver>[0], logger?: ReturnType<typeof createLogger>) {
    const app = createDeliveryTestApp(env, logger);
    apps.push(app);
    const rx = startReceiver(respond);
    receivers.push(rx);
    return { app, rx };
  }

  async function deliveryOf(app: DeliveryTestApp, webhookId: string) {
    const list = await app.request("GET", `${PATH}/${webhookId}/deliveries`);
    if (list.body.data.length === 0) return undefined;
    return (await app.request("GET", `/api/v1/deliveries/${list.body.data[0].id}`)).body.data;
  }

  const settled = (app: DeliveryTestApp, webhookId: string, status: string, within = 10_000) =>
    waitFor(async () => {
      const d = await deliveryOf(app, webhookId);
      return d?.status === status ? d : undefined;
    }, within, `delivery ${status}`);

  test("retry_schedule [1,1]: exactly 3 attempts then failed; a webhook on the server's schedule is unaffected", async () => {
    const failing = () => new Response("no", { status: 500 });
    const { app, rx } = setup({ DELIVERY_RETRY_SCHEDULE: "0.05,0.05,0.05,0.05" }, failing);
    const rxPlain = startReceiver(failing);
    receivers.push(rxPlain);
    const own = await app.createWebhook(rx.url, ["link.clicked"], { retry_schedule: [1, 1] });
    const plain = await app.createWebhook(rxPlain.url);
    await app.publish("link.clicked", { n: 1 });
    const failedOwn = await settled(app, own.id, "failed");
    const failedPlain = await settled(app, plain.id, "failed");
    expect(failedOwn.attempts).toBe(3);
    expect(failedPlain.attempts).toBe(5);
    expect(rx.received).toHaveLength(3);
    expect(rxPlain.received).toHaveLength(5);
    // The waits follow the webhook's schedule: about a second (±20 %) apart, not 50 ms.
    const at = rx.received.map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(700);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(700);
  });

  test("timeout_ms 300 against a receiver that hangs: the attempt times out at 300 ms, not at DELIVERY_TIMEOUT_MS", async () => {
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const { app, rx } = setup({ DELIVERY_TIMEOUT_MS: "20000" }, async () => {
      await hanging;
      return new Response(null, { status: 204 });
    });
    const { id } = await app.createWebhook(rx.url, ["link.clicked"], { timeout_ms: 300, retry_schedule: [] });
    await app.publish("link.clicked", { n: 1 });
    try {
      const failed = await settled(app, id, "failed", 8000);
      expect(failed.attempts).toBe(1);
      expect(failed.last_error).toBe("Timed out after 300 ms");
    } finally {
      release();
    }
  });

  test("custom headers reach the receiver beside the standard ones, the signature still verifies, and no log line holds them", async () => {
    const lines: string[] = [];
    const { app, rx } = setup({}, undefined, createLogger("debug", (l) => lines.push(l)));
    const headers = { Authorization: "Bearer rcv-credential-42", "X-Tenant": "acme" };
    const { id, secret } = await app.createWebhook(rx.url, ["link.clicked"], { headers });
    const published = await app.publish("link.clicked", { n: 1 });
    await settled(app, id, "delivered");
    const req = rx.received[0]!;
    expect(req.headers.authorization).toBe("Bearer rcv-credential-42");
    expect(req.headers["x-tenant"]).toBe("acme");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toMatch(/^hookrelay\//);
    expect(req.headers["webhook-id"]).toBe(published.body.data.id);
    expect(new Webhook(secret).verify(req.body, req.headers)).toMatchObject({ type: "link.clicked" });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).not.toContain("rcv-credential-42");
  });
});

describe("hang detection uses the endpoint's own timeout", () => {
  type Job = EndpointJob & { name: string };
  const job = (target: string, timeoutMs?: number): Job => ({ target, isRetry: false, name: target, startedAt: 0, seq: 0, slot: -1, timeoutMs });

  test("a 300 ms attempt with no answer restricts an endpoint whose timeout is 300 ms, not one on the 10 s default", () => {
    let now = 0;
    const queues = new EndpointQueues<Job>(8, 10_000, () => now);
    queues.push(job("own", 300));
    queues.push(job("plain"));
    const own = queues.take()!;
    const plain = queues.take()!;
    now += 300;
    const hung = { statusCode: null, responseBody: null, error: "Timed out after 300 ms", durationMs: 300 };
    expect(queues.finished(own, hung)).toBe(2);
    expect(queues.restricted).toBe(1);
    expect(queues.finished(plain, hung)).toBeUndefined();
    expect(queues.restricted).toBe(1);
  });

  test("a request with no answer is suspected after half the endpoint's own timeout", () => {
    let now = 0;
    const queues = new EndpointQueues<Job>(8, 10_000, () => now);
    queues.push(job("own", 300));
    const running = queues.take()!;
    now += 149;
    expect(queues.suspect("own", running.startedAt)).toBeUndefined();
    now += 1;
    expect(queues.suspect("own", running.startedAt)).toBe(1);
    expect(queues.restricted).toBe(1);
  });
});

describe("the request head", () => {
  test("a webhook's headers become head lines; a stored one that breaks the API's rules is left out", () => {
    expect(headerLines(null)).toBe("");
    expect(headerLines({ Authorization: "Bearer t", "X-A": "1" })).toBe("Authorization: Bearer t\r\nX-A: 1\r\n");
    // As if written to the database by hand: none of these may reach the wire.
    expect(headerLines({ "X-Ok": "1", "Webhook-Signature": "v1,forged", "Content-Length": "0", "X-Split": "a\r\nX-Evil: 1", "X:Colon": "v" })).toBe("X-Ok: 1\r\n");
  });
});
