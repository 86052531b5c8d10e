// A link webhook's `filter` (src/links/filter.ts): each webhook receives only the events whose
// data match its filter, the publish answer counts only those deliveries, a bad filter is a 400
// naming its path with nothing stored, and the test event, retries and PATCH null ignore or lift it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterMatchers, MAX_FILTER_BYTES, MAX_FILTER_DEPTH } from "../src/links/filter";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

let app: DeliveryTestApp;
let big: Receiver;
let europe: Receiver;

beforeAll(() => {
  app = createDeliveryTestApp();
  big = startReceiver();
  europe = startReceiver();
});
afterAll(async () => {
  await app.shutdown();
  big.stop();
  europe.stop();
});

const dataOf = (r: Receiver) => r.received.map((req) => JSON.parse(req.body).data);
const count = (table: string) => (app.deps.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const stored = () => JSON.stringify(app.deps.db.$client.prepare("SELECT * FROM webhooks ORDER BY id").all());

describe("delivery by filter", () => {
  test("two webhooks with different filters each get only their events; the answer counts what was enqueued", async () => {
    await app.createWebhook(big.url, ["link.clicked"], { filter: { amount: { $gte: 100 } } });
    await app.createWebhook(europe.url, ["link.clicked"], { filter: { $or: [{ "geo.country": { $in: ["FR", "DE"] } }, { vip: true }] } });
    const published = [
      [{ n: 1, amount: 150, geo: { country: "US" } }, 1],
      [{ n: 2, amount: 5, geo: { country: "FR" } }, 1],
      [{ n: 3, amount: 500, geo: { country: "DE" } }, 2],
      [{ n: 4, amount: 1, geo: { country: "US" } }, 0],
      [{ n: 5, vip: true }, 1],
    ] as const;
    for (const [data, deliveries] of published) {
      const res = await app.publish("link.clicked", data);
      expect(res.status).toBe(202);
      expect(res.body.data.deliveries).toBe(deliveries);
    }
    await waitFor(() => big.received.length === 2 && europe.received.length === 3, 5000, "the matching deliveries");
    await Bun.sleep(100); // and nothing more
    expect(dataOf(big).map((d) => d.n).sort()).toEqual([1, 3]);
    expect(dataOf(europe).map((d) => d.n).sort()).toEqual([2, 3, 5]);
  });

  test("PATCH sets, GET shows and PATCH null removes a filter; the test event and a retry ignore it", async () => {
    const receiver = startReceiver();
    try {
      const { id } = await app.createWebhook(receiver.url, ["uptime.down"]);
      expect((await app.request("GET", `/api/v1/links/webhooks/${id}`)).body.data.filter).toBeNull();
      const patched = await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { filter: { region: "eu" } });
      expect(patched.status).toBe(200);
      expect(patched.body.data.filter).toEqual({ region: "eu" });
      expect((await app.publish("uptime.down", { region: "us" })).body.data.deliveries).toBe(0);
      const eu = await app.publish("uptime.down", { region: "eu" });
      expect(eu.body.data.deliveries).toBe(1);
      await waitFor(() => receiver.received.length === 1, 5000, "the eu event");

      // The test event is sent whatever the filter says.
      const tested = await app.request("POST", `/api/v1/links/webhooks/${id}/test`);
      expect(tested.status).toBe(202);
      await waitFor(() => receiver.received.length === 2, 5000, "the test event");

      // A retry resends an existing delivery, even if the filter no longer matches its event.
      await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { filter: { region: "nowhere" } });
      const [delivery] = (await app.request("GET", `/api/v1/links/webhooks/${id}/deliveries`)).body.data.filter((d: { event_type: string }) => d.event_type === "uptime.down");
      const retried = await app.request("POST", `/api/v1/deliveries/${delivery.id}/retry`);
      expect(retried.status).toBeLessThan(300);
      await waitFor(() => receiver.received.length === 3, 5000, "the retry");

      const cleared = await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { filter: null });
      expect(cleared.body.data.filter).toBeNull();
      expect((await app.publish("uptime.down", { region: "us" })).body.data.deliveries).toBe(1);
    } finally {
      receiver.stop();
    }
  });
});

describe("validation: 400 naming the filter, nothing stored", () => {
  const nest = (levels: number): Record<string, unknown> => (levels === 1 ? { a: 1 } : { a: nest(levels - 1) });
  const CASES: [string, unknown, { field: string; message: string | RegExp }[]][] = [
    ["a code operator", { $where: "this.amount > 1" }, [{ field: "filter.$where", message: /^Not an accepted operator; use \$eq, / }]],
    ["$regex, deep inside", { $or: [{ a: 1 }, { b: { $regex: "(a+)+$" } }] }, [{ field: "filter.$or[1].b.$regex", message: /^Not an accepted operator/ }]],
    ["an operand of the wrong kind", { amount: { $gt: { n: 1 } }, tags: { $in: "x" } }, [
      { field: "filter.amount.$gt", message: "Must be a number or a string" },
      { field: "filter.tags.$in", message: "Must be an array of values" },
    ]],
    ["operators mixed with fields", { a: { $gt: 1, b: 2 } }, [{ field: "filter.a.b", message: "Must not mix operators and fields in one object" }]],
    ["too deep", nest(MAX_FILTER_DEPTH + 1), [{ field: "filter", message: `Must nest objects and arrays at most ${MAX_FILTER_DEPTH} deep` }]],
    ["too big", { a: "x".repeat(MAX_FILTER_BYTES) }, [{ field: "filter", message: /^Must be a JSON object/ }]],
    ["an array", [{ a: 1 }], [{ field: "filter", message: /^Must be a JSON object/ }]],
    ["a string", "amount > 5", [{ field: "filter", message: /^Must be a JSON object/ }]],
  ];

  for (const [what, filter, details] of CASES) {
    test(`${what}: on create and on PATCH`, async () => {
      const { id } = await app.createWebhook("http://127.0.0.1:9/validation", ["link.created"], { filter: { kept: true } });
      const before = [stored(), count("webhook_event_types")];
      const created = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/x", events: ["link.created"], filter });
      const patched = await app.request("PATCH", `/api/v1/links/webhooks/${id}`, { url: "http://127.0.0.1:9/changed", filter });
      for (const res of [created, patched]) {
        expect(res.status).toBe(400);
        expect(res.body.details).toHaveLength(details.length);
        details.forEach((d, i) => {
          expect(res.body.details[i].field).toBe(d.field);
          expect(res.body.details[i].message).toMatch(d.message);
        });
      }
      expect([stored(), count("webhook_event_types")]).toEqual(before);
    });
  }

  test("every accepted operator passes, at the documented depth", async () => {
    const filter = {
      a: 1, b: { $eq: "x" }, c: { $ne: null }, d: { $gt: 1, $lt: 9 }, e: { $gte: "2024", $lte: "2025" },
      f: { $in: [1, "2"] }, g: { $nin: [3] }, h: { $exists: false }, i: { $not: { $gt: 5 } },
      $and: [{ j: 1 }], $nor: [{ k: 2 }], $not: { l: 3 }, m: { n: { o: { p: { q: { r: { s: 1 } } } } } },
    };
    const res = await app.request("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/ok", events: ["link.created"], filter });
    expect(res.status).toBe(201);
    expect((await app.request("GET", `/api/v1/links/webhooks/${res.body.data.id}`)).body.data.filter).toEqual(filter);
  });
});

describe("FilterMatchers (one per publish store)", () => {
  test("per publish: the data is read once, at the first filter, and each distinct text is run once", () => {
    const matchers = new FilterMatchers();
    let reads = 0;
    const matches = matchers.forEvent(() => (reads++, { amount: 150, tags: ["a", "b"] }));
    expect(reads).toBe(0);
    const filters = ['{"amount":{"$gte":100}}', '{"tags":"b"}', '{"amount":{"$lt":100}}', '{"amount":{"$gte":100}}'];
    expect(filters.map(matches)).toEqual([true, true, false, true]);
    expect(reads).toBe(1);
    // A publish that asks about no filter never reads the data.
    matchers.forEvent(() => (reads++, {}));
    expect(reads).toBe(1);
  });

  test("sift knows only the accepted operators: a stored filter with another one matches nothing", () => {
    const matches = new FilterMatchers().forEvent(() => ({ a: "x" }));
    expect(matches('{"a":{"$regex":"x"}}')).toBe(false);
    expect(matches('{"$where":"true"}')).toBe(false);
    expect(matches('{"a":"x"}')).toBe(true);
  });
});
