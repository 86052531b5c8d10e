// Payloads reach the receiver exactly as published, and metadata is stored and returned exactly:
// numbers a double cannot hold keep every digit, every spelling is kept, and a number beyond the
// double range (1e400) is a 400 naming the field. Real loop, real loopback receiver.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { jsonMemberText, parseJsonExact } from "../src/http/json-text";
import { Random, seedFromEnv } from "./helpers/fuzz/random";
import { createDeliveryTestApp, startReceiver, waitFor, type DeliveryTestApp, type Receiver } from "./helpers/delivery";

setDefaultTimeout(20_000);

let t: DeliveryTestApp;
let receiver: Receiver;
let secret: string;
beforeAll(async () => {
  t = createDeliveryTestApp();
  receiver = startReceiver();
  ({ secret } = await t.createWebhook(receiver.url, ["link.clicked"]));
});
afterAll(async () => {
  receiver.stop();
  await t.shutdown();
});

const publishRaw = (raw: string) => t.request("POST", "/api/v1/events", undefined, { raw });
const count = (table: string) => (t.deps.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

async function deliveredBody(eventId: string): Promise<{ body: string; headers: Record<string, string> }> {
  return waitFor(() => receiver.received.find((r) => r.headers["webhook-id"] === eventId), 5000, `delivery of ${eventId}`);
}

describe("publish delivers data as published", () => {
  test("an integer beyond 2^53 arrives digit for digit (the issue's example)", async () => {
    const res = await publishRaw('{"type":"link.clicked","data":{"id":1234567890123456789}}');
    expect(res.status).toBe(202);
    const { id, created_at } = res.body.data;
    const got = await deliveredBody(id);
    expect(got.body).toBe(`{"id":"${id}","type":"link.clicked","created_at":"${created_at}","data":{"id":1234567890123456789}}`);
    // The signature covers the bytes sent.
    expect(new Webhook(secret).verify(got.body, got.headers)).toBeTruthy();
  });

  test("every number spelling, escape, key order and the whitespace inside data are kept", async () => {
    const data =
      '{ "big": 12345678901234567890123, "tiny": 1e-400, "fraction": 1.50, "negzero": -0, "upper": 1E2,\n' +
      '  "long": 0.1000000000000000055511151231257827, "escaped": "\\u00e9\\/\\"", "b": 1, "1": 2,\n' +
      '  "nested": [ {"deep": [9007199254740993, {"x": "]}{["}]} ] }';
    const res = await publishRaw(`{"type":"link.clicked","data":${data},"id":"evt_spellings"}`);
    expect(res.status).toBe(202);
    const got = await deliveredBody("evt_spellings");
    expect(got.body).toBe(`{"id":"evt_spellings","type":"link.clicked","created_at":"${res.body.data.created_at}","data":${data}}`);
  });

  test("when a key repeats, the data JSON.parse validated is the data delivered (the last)", async () => {
    const res = await publishRaw('{"type":"link.clicked","data":"not an object","d\\u0061ta":{"n":18446744073709551617}}');
    expect(res.status).toBe(202);
    const got = await deliveredBody(res.body.data.id);
    expect(got.body).toEndWith(',"data":{"n":18446744073709551617}}');
  });

  test("a number beyond the double range is a 400 naming each such field; nothing is stored", async () => {
    const before = [count("events"), count("deliveries")];
    const res = await publishRaw('{"type":"link.clicked","data":{"ok":1,"x":1e400,"list":[1,-1e999,{"y":2e308}]}}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "Bad Request",
      message: "The request contains invalid parameters or malformed data",
      code: 400,
      details: [
        { field: "data.x", message: "Must be a number within ±1.7976931348623157e308" },
        { field: "data.list[1]", message: "Must be a number within ±1.7976931348623157e308" },
        { field: "data.list[2].y", message: "Must be a number within ±1.7976931348623157e308" },
      ],
    });
    expect([count("events"), count("deliveries")]).toEqual(before);
  });

  test("an out-of-range number is listed with the other invalid fields, in body order", async () => {
    const before = count("events");
    const first = await publishRaw('{"type":"link.nope","data":{"x":1e400},"id":"bad id!"}');
    expect(first.status).toBe(400);
    expect(first.body.details.map((d: { field: string }) => d.field)).toEqual(["type", "data.x", "id"]);
    const reordered = await publishRaw('{"id":"bad id!","data":{"x":1e400},"type":"link.nope"}');
    expect(reordered.body.details.map((d: { field: string }) => d.field)).toEqual(["id", "data.x", "type"]);
    // The schema accepts the body; the header rule and the number are both reported.
    const header = await t.request("POST", "/api/v1/events", undefined, {
      raw: '{"type":"link.clicked","data":{"x":1e400}}',
      headers: { "idempotency-key": "k".repeat(256) },
    });
    expect(header.body.details.map((d: { field: string }) => d.field)).toEqual(["data.x", "Idempotency-Key"]);
    expect(count("events")).toBe(before);
  });
});

describe("webhook metadata is stored and returned exactly", () => {
  const metadataText = '{"account":1234567890123456789,"ratio":1e-400,"price":1.50,"name":"x"}';

  test("create, read, list and update keep every digit of metadata numbers", async () => {
    const created = await t.request("POST", "/api/v1/links/webhooks", undefined, {
      raw: `{"url":"${receiver.url}","events":["link.clicked"],"metadata":${metadataText}}`,
    });
    expect(created.status).toBe(201);
    expect(created.text).toContain(`"metadata":${metadataText}`);
    const id = created.body.data.id;
    const row = t.deps.db.$client.prepare("select metadata from webhooks where id = ?").get(id) as { metadata: string };
    expect(row.metadata).toBe(metadataText);
    const got = await t.request("GET", `/api/v1/links/webhooks/${id}`);
    expect(got.text).toContain(`"metadata":${metadataText}`);
    const list = await t.request("GET", "/api/v1/links/webhooks?limit=100");
    expect(list.text).toContain(`"metadata":${metadataText}`);

    const patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, undefined, { raw: '{"metadata":{"n":-98765432109876543210}}' });
    expect(patched.status).toBe(200);
    expect(patched.text).toContain('"metadata":{"n":-98765432109876543210}');
  });

  test("metadata with a number beyond the double range is refused, with the other fields", async () => {
    const before = count("webhooks");
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, {
      raw: '{"url":"ftp://example.com/","events":["link.clicked"],"metadata":{"n":1e400}}',
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([
      { field: "url", message: "Must use http or https" },
      { field: "metadata.n", message: "Must be a number within ±1.7976931348623157e308" },
    ]);
    expect(count("webhooks")).toBe(before);
  });
});

describe("jsonMemberText", () => {
  const samples = [
    '{"a":1,"data":{"x":[1,2,{"y":"}"}]},"z":null}',
    ' { "data" : [ "a\\"]", {"k":"\\\\"} ] , "b" : true } ',
    '{"data":"plain \\" string","data2":1}',
    '{"x":{"data":1},"data":-1.5e+10}',
    '{"data":{},"other":[[[]]]}',
    '{"other":"data","data":false}',
  ];
  for (const text of samples) {
    test(`cuts out what JSON.parse sees: ${text}`, () => {
      const member = jsonMemberText(text, "data");
      expect(member).toBeDefined();
      expect(JSON.parse(member!)).toEqual(JSON.parse(text).data);
      expect(text).toContain(member!);
    });
  }

  test("agrees with JSON.parse on random JSON text (whitespace, escapes, brackets in strings, repeated keys)", () => {
    const r = new Random(seedFromEnv(1717));
    const space = () => r.pick(["", "", " ", "\n  ", "\t", "\r\n"]);
    const str = () => JSON.stringify(r.pick(["", "a", '"', "\\", "\\\"", "]}", "{[", "data", "é", "\u2028", "x\"y\\"]));
    const num = () => r.pick(["0", "-0", "1.50", "1e-400", "12345678901234567890", "-3.2E+7", "42"]);
    const value = (depth: number): string => {
      const kind = depth > 3 ? r.int(0, 2) : r.int(0, 4);
      if (kind === 0) return str();
      if (kind === 1) return num();
      if (kind === 2) return r.pick(["true", "false", "null"]);
      const n = r.int(0, 3);
      if (kind === 3) return `[${space()}${Array.from({ length: n }, () => value(depth + 1)).join(`${space()},${space()}`)}${space()}]`;
      return `{${space()}${Array.from({ length: n }, () => `${str()}${space()}:${space()}${value(depth + 1)}`).join(`${space()},${space()}`)}${space()}}`;
    };
    for (let i = 0; i < 500; i++) {
      const keys = Array.from({ length: r.int(0, 4) }, () => r.pick(['"data"', '"d\\u0061ta"', '"type"', '"x"', '"dat"']));
      const text = `${space()}{${space()}${keys.map((k) => `${k}${space()}:${space()}${value(0)}`).join(`${space()},${space()}`)}${space()}}${space()}`;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const member = jsonMemberText(text, "data");
      if (!("data" in parsed)) {
        expect(member).toBeUndefined();
        continue;
      }
      expect([text, JSON.parse(member!)]).toEqual([text, parsed.data]);
    }
  });

  test("undefined when absent or when the top level is not an object", () => {
    expect(jsonMemberText('{"a":{"data":1}}', "data")).toBeUndefined();
    expect(jsonMemberText('[{"data":1}]', "data")).toBeUndefined();
    expect(jsonMemberText("{}", "data")).toBeUndefined();
  });

  test("parseJsonExact writes numbers back in their own spelling", () => {
    const text = '{"a":1234567890123456789,"b":[1e-400,1.50,-0,2],"c":"1.50"}';
    expect(JSON.stringify(parseJsonExact(text))).toBe(text);
    expect(parseJsonExact('{"s":"no numbers"}')).toEqual({ s: "no numbers" });
  });
});
