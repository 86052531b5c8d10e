// Every invalid field in one answer, on every route of both surfaces that takes input: for each
// route, two, three and all of its fields wrong are all listed, in the order the request gave
// them, whether the schema, the body parser or the service found the problem; and nothing stored
// changes. Unknown top-level fields are ignored whatever their name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { FieldError } from "../src/http/errors";
import { FILTER_ERROR } from "../src/links/filter";
import { createTestApp, type TestApp } from "./helpers/app";
import { signIn, type SignedInUser } from "./helpers/sessions";

/** A value written into the JSON text as it is (for numbers JSON.stringify cannot write). */
class Raw {
  constructor(readonly text: string) {}
}

function encode(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(encode).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** One wrong field: its name, a wrong value, and what the answer must say about it. */
interface BadField {
  name: string;
  value: unknown;
  details: FieldError[];
}

interface RouteCase {
  route: string;
  method: string;
  path: () => string;
  auth?: () => { bearer: string } | "bearer" | "none";
  /** Where the fields go. */
  in: "body" | "query";
  /** A valid request, field by field in its own order (fields left out of a combination keep these). */
  valid: () => [string, unknown][];
  /** Wrong fields, in the order of `valid`; a mix of schema, parser and service findings. */
  bad: BadField[];
}

const RANGE = "Must be a number within ±1.7976931348623157e308";
const FILTER_OPERATOR = "Not an accepted operator; use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $not, $and, $or, $nor";
const EVENT_TYPES = "Must be one of link.created, link.updated, link.deleted, link.clicked, uptime.down, uptime.up";
/** What may be subscribed to (or filtered by): the operational events too, which only hookrelay publishes. */
const SUBSCRIBABLE = `${EVENT_TYPES}, webhook.disabled, delivery.exhausted`;
const LEVELS = "Must be one of fatal, warning, info";
const DISCORD_VALUE = "Must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token}) or a Discord channel id (digits)";

let t: TestApp;
let alice: SignedInUser;
let sourceId: string;
let alertHookId: string;
let webhookId: string;

beforeAll(async () => {
  t = createTestApp();
  alice = await signIn(t, "alice@example.com");
  const source = await t.request("POST", "/traffic-sources", { name: "Checkout" }, { auth: alice.auth });
  sourceId = source.body.id;
  const hook = await t.request("POST", `/webhooks/${sourceId}`, { type: "discord", level: "fatal", value: "123" }, { auth: alice.auth });
  alertHookId = hook.body.id;
  const webhook = await t.request("POST", "/api/v1/links/webhooks", { url: "https://example.com/hook", events: ["link.clicked"] });
  webhookId = webhook.body.data.id;
  await t.request("PUT", "/api/v1/tenants/acme", { name: "Acme" });
});
afterAll(() => t.close());

/** Every row of every table: what "nothing stored changes" compares. */
function dumpAll(): string {
  const sqlite = t.deps.db.$client;
  const tables = sqlite.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
  return JSON.stringify(tables.map(({ name }) => [name, sqlite.prepare(`select * from "${name}"`).all()]));
}

const session = () => alice.auth;

const NO_TENANT = "Must name an existing tenant (create it with PUT /api/v1/tenants/{id})";
const INSTANT = "Must be an ISO-8601 date-time";
const CURSOR = "Must be a cursor returned by a previous page";
const LIMIT = "Must be an integer from 1 to 100";
const ROW_CURSOR = Buffer.from("r1").toString("base64url");

const ROUTES: RouteCase[] = [
  {
    route: "POST /api/v1/links/webhooks (tenant)",
    method: "POST",
    path: () => "/api/v1/links/webhooks",
    in: "body",
    valid: () => [
      ["url", "https://example.com/a"],
      ["events", ["link.clicked"]],
      ["tenant_id", "acme"],
    ],
    bad: [
      { name: "url", value: "http://127.0.0.1/hook", details: [{ field: "url", message: "The URL must not point to a private, loopback or reserved address" }] },
      { name: "events", value: [], details: [{ field: "events", message: "Must be a non-empty list of distinct event types" }] },
      { name: "tenant_id", value: "nobody", details: [{ field: "tenant_id", message: NO_TENANT }] },
    ],
  },
  {
    route: "POST /api/v1/events (tenant)",
    method: "POST",
    path: () => "/api/v1/events",
    in: "body",
    valid: () => [
      ["type", "link.clicked"],
      ["data", { n: 1 }],
      ["tenant_id", "acme"],
    ],
    bad: [
      { name: "type", value: "order.created", details: [{ field: "type", message: EVENT_TYPES }] },
      { name: "data", value: [1], details: [{ field: "data", message: "Must be a JSON object" }] },
      { name: "tenant_id", value: "nobody", details: [{ field: "tenant_id", message: NO_TENANT }] },
    ],
  },
  {
    route: "PUT /api/v1/tenants/:id",
    method: "PUT",
    path: () => "/api/v1/tenants/acme",
    in: "body",
    valid: () => [
      ["name", "Acme"],
      ["metadata", { plan: "pro" }],
    ],
    bad: [
      { name: "name", value: "", details: [{ field: "name", message: "Must be a string of 1 to 200 characters or null" }] },
      { name: "metadata", value: { big: "x".repeat(17_000) }, details: [{ field: "metadata", message: "Must be a JSON object of at most 16 KiB" }] },
    ],
  },
  {
    route: "POST /api/v1/api-keys",
    method: "POST",
    path: () => "/api/v1/api-keys",
    in: "body",
    valid: () => [
      ["name", "ci"],
      ["tenant_id", "acme"],
      ["can_publish", true],
      ["expires_at", "2999-01-01T00:00:00Z"],
    ],
    bad: [
      { name: "name", value: "", details: [{ field: "name", message: "Must be a string of 1 to 100 characters" }] },
      { name: "tenant_id", value: "nobody", details: [{ field: "tenant_id", message: NO_TENANT }] },
      { name: "can_publish", value: "yes", details: [{ field: "can_publish", message: "Must be true or false" }] },
      { name: "expires_at", value: "2001-01-01T00:00:00Z", details: [{ field: "expires_at", message: "Must be an ISO-8601 date-time in the future" }] },
    ],
  },
  {
    route: "GET /api/v1/events",
    method: "GET",
    path: () => "/api/v1/events",
    in: "query",
    valid: () => [
      ["limit", "10"],
      ["cursor", ROW_CURSOR],
      ["since", "2026-01-01T00:00:00Z"],
      ["until", "2027-01-01T00:00:00Z"],
      ["tenant_id", "acme"],
    ],
    bad: [
      { name: "limit", value: "0", details: [{ field: "limit", message: LIMIT }] },
      { name: "cursor", value: "nope", details: [{ field: "cursor", message: CURSOR }] },
      { name: "since", value: "yesterday", details: [{ field: "since", message: INSTANT }] },
      { name: "until", value: "tomorrow", details: [{ field: "until", message: INSTANT }] },
      { name: "tenant_id", value: "nobody", details: [{ field: "tenant_id", message: NO_TENANT }] },
    ],
  },
  {
    route: "GET /api/v1/deliveries",
    method: "GET",
    path: () => "/api/v1/deliveries",
    in: "query",
    valid: () => [
      ["limit", "10"],
      ["cursor", ROW_CURSOR],
      ["status", "failed"],
      ["since", "2026-01-01T00:00:00Z"],
      ["tenant_id", "acme"],
    ],
    bad: [
      { name: "limit", value: "101", details: [{ field: "limit", message: LIMIT }] },
      { name: "cursor", value: "nope", details: [{ field: "cursor", message: CURSOR }] },
      { name: "status", value: "lost", details: [{ field: "status", message: "Must be one of pending, leased, delivered, failed" }] },
      { name: "since", value: "yesterday", details: [{ field: "since", message: INSTANT }] },
      { name: "tenant_id", value: "a b", details: [{ field: "tenant_id", message: "Must be 1 to 64 characters of letters, digits, '_', '.' or '-'" }] },
    ],
  },
  {
    route: "POST /api/v1/deliveries/retry",
    method: "POST",
    path: () => "/api/v1/deliveries/retry",
    in: "body",
    valid: () => [
      ["status", "failed"],
      ["cursor", ROW_CURSOR],
      ["until", "2027-01-01T00:00:00Z"],
      ["tenant_id", "acme"],
    ],
    bad: [
      { name: "status", value: "lost", details: [{ field: "status", message: "Must be one of pending, leased, delivered, failed" }] },
      { name: "cursor", value: "nope", details: [{ field: "cursor", message: CURSOR }] },
      { name: "until", value: "tomorrow", details: [{ field: "until", message: INSTANT }] },
      { name: "tenant_id", value: "nobody", details: [{ field: "tenant_id", message: NO_TENANT }] },
    ],
  },
  {
    route: "GET /traffic-sources/:id/alerts",
    method: "GET",
    path: () => `/traffic-sources/${sourceId}/alerts`,
    auth: session,
    in: "query",
    valid: () => [
      ["limit", "10"],
      ["before", "2027-01-01T00:00:00Z"],
    ],
    bad: [
      { name: "limit", value: "0", details: [{ field: "limit", message: LIMIT }] },
      { name: "before", value: "soon", details: [{ field: "before", message: INSTANT }] },
    ],
  },
  {
    route: "POST /api/v1/links/webhooks",
    method: "POST",
    path: () => "/api/v1/links/webhooks",
    in: "body",
    valid: () => [
      ["url", "https://example.com/a"],
      ["events", ["link.clicked"]],
      ["secret", "a good secret"],
      ["metadata", { team: "ops" }],
      ["signature", "hmac"],
      ["filter", { amount: { $gte: 1 } }],
    ],
    bad: [
      // Service findings (SSRF, duplicates, whsec_ rule) beside schema and parser findings.
      { name: "url", value: "http://127.0.0.1/hook", details: [{ field: "url", message: "The URL must not point to a private, loopback or reserved address" }] },
      { name: "events", value: ["link.clicked", "nope"], details: [{ field: "events[1]", message: SUBSCRIBABLE }] },
      { name: "secret", value: "whsec_!!!!!!!!", details: [{ field: "secret", message: "A secret starting with whsec_ must be base64 of 24 to 64 random bytes" }] },
      { name: "metadata", value: { n: new Raw("1e400") }, details: [{ field: "metadata.n", message: RANGE }] },
      { name: "signature", value: "rsa", details: [{ field: "signature", message: 'Must be "hmac" or "ed25519"' }] },
      { name: "filter", value: { $or: [{ a: 1 }, { b: { $where: "1" } }] }, details: [{ field: "filter.$or[1].b.$where", message: FILTER_OPERATOR }] },
    ],
  },
  {
    route: "POST /api/v1/links/webhooks (schema findings only)",
    method: "POST",
    path: () => "/api/v1/links/webhooks",
    in: "body",
    valid: () => [
      ["url", "https://example.com/a"],
      ["events", ["link.clicked"]],
      ["secret", "a good secret"],
      ["metadata", {}],
      ["filter", null],
      ["ordering", null],
      ["rate_limit", 20],
    ],
    bad: [
      { name: "url", value: 42, details: [{ field: "url", message: "Must be an absolute http(s) URL of at most 2048 characters" }] },
      { name: "events", value: [], details: [{ field: "events", message: "Must be a non-empty list of distinct event types" }] },
      { name: "secret", value: "short", details: [{ field: "secret", message: "Must be a string of 8 to 128 characters" }] },
      { name: "metadata", value: [1], details: [{ field: "metadata", message: "Must be a JSON object of at most 16 KiB" }] },
      { name: "filter", value: "a > 1", details: [{ field: "filter", message: FILTER_ERROR }] },
      { name: "ordering", value: "random", details: [{ field: "ordering", message: 'Must be "fifo" or null' }] },
      { name: "rate_limit", value: 1.5, details: [{ field: "rate_limit", message: "Must be a whole number of requests a second from 1 to 10000, or null" }] },
    ],
  },
  {
    route: "PATCH /api/v1/links/webhooks/:id",
    method: "PATCH",
    path: () => `/api/v1/links/webhooks/${webhookId}`,
    in: "body",
    valid: () => [
      ["url", "https://example.com/b"],
      ["events", ["link.created"]],
      ["secret", "another good secret"],
      ["metadata", { a: 1 }],
      ["active", true],
      ["filter", { region: "eu" }],
      ["ordering", "fifo"],
      ["rate_limit", 50],
    ],
    bad: [
      { name: "url", value: "http://@example.com/", details: [{ field: "url", message: "Must not contain a user name or password" }] },
      { name: "events", value: ["link.clicked", "link.clicked"], details: [{ field: "events", message: "Must be a non-empty list of distinct event types" }] },
      { name: "secret", value: 12345678, details: [{ field: "secret", message: "Must be a string of 8 to 128 characters" }] },
      { name: "metadata", value: { blob: "x".repeat(17 * 1024) }, details: [{ field: "metadata", message: "Must be a JSON object of at most 16 KiB" }] },
      { name: "active", value: "yes", details: [{ field: "active", message: "Must be true or false" }] },
      { name: "filter", value: { region: { $regex: "^e" }, n: { $exists: 1 } }, details: [
        { field: "filter.region.$regex", message: FILTER_OPERATOR },
        { field: "filter.n.$exists", message: "Must be true or false" },
      ] },
      { name: "ordering", value: "lifo", details: [{ field: "ordering", message: 'Must be "fifo" or null' }] },
      { name: "rate_limit", value: 0, details: [{ field: "rate_limit", message: "Must be a whole number of requests a second from 1 to 10000, or null" }] },
    ],
  },
  {
    route: "GET /api/v1/links/webhooks",
    method: "GET",
    path: () => "/api/v1/links/webhooks",
    in: "query",
    valid: () => [
      ["limit", "10"],
      ["cursor", Buffer.from("r5").toString("base64url")],
      ["event", "link.clicked"],
      ["active", "true"],
    ],
    bad: [
      { name: "limit", value: "1000", details: [{ field: "limit", message: "Must be an integer from 1 to 100" }] },
      { name: "cursor", value: "not-a-cursor", details: [{ field: "cursor", message: "Must be a cursor returned by a previous page" }] },
      { name: "event", value: "link.exploded", details: [{ field: "event", message: SUBSCRIBABLE }] },
      { name: "active", value: "maybe", details: [{ field: "active", message: "Must be true or false" }] },
    ],
  },
  {
    route: "POST /api/v1/events",
    method: "POST",
    path: () => "/api/v1/events",
    in: "body",
    valid: () => [
      ["type", "link.clicked"],
      ["data", { n: 1 }],
      ["id", "evt_valid_1"],
    ],
    bad: [
      { name: "type", value: "link.nope", details: [{ field: "type", message: EVENT_TYPES }] },
      { name: "data", value: [1, 2], details: [{ field: "data", message: "Must be a JSON object" }] },
      { name: "id", value: "not valid!", details: [{ field: "id", message: "Must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'" }] },
    ],
  },
  {
    route: "POST /api/v1/events (parser finding in data)",
    method: "POST",
    path: () => "/api/v1/events",
    in: "body",
    valid: () => [
      ["type", "link.clicked"],
      ["data", { n: 1 }],
      ["id", "evt_valid_2"],
    ],
    bad: [
      { name: "type", value: 5, details: [{ field: "type", message: "Must be an event type of the catalogue (GET /api/v1/event-types)" }] },
      { name: "data", value: { big: new Raw("-1e999"), ok: 1 }, details: [{ field: "data.big", message: RANGE }] },
      { name: "id", value: "", details: [{ field: "id", message: "Must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'" }] },
    ],
  },
  {
    route: "GET /api/v1/links/webhooks/:id/deliveries",
    method: "GET",
    path: () => `/api/v1/links/webhooks/${webhookId}/deliveries`,
    in: "query",
    valid: () => [
      ["limit", "5"],
      ["cursor", Buffer.from("r1").toString("base64url")],
      ["status", "failed"],
    ],
    bad: [
      { name: "limit", value: "0", details: [{ field: "limit", message: "Must be an integer from 1 to 100" }] },
      { name: "cursor", value: Buffer.from("x1").toString("base64url"), details: [{ field: "cursor", message: "Must be a cursor returned by a previous page" }] },
      { name: "status", value: "lost", details: [{ field: "status", message: "Must be one of pending, leased, delivered, failed" }] },
    ],
  },
  {
    route: "POST /api/v1/links/webhooks/:id/recover",
    method: "POST",
    path: () => `/api/v1/links/webhooks/${webhookId}/recover`,
    in: "body",
    valid: () => [["since", "2024-05-20T00:00:00Z"]],
    bad: [{ name: "since", value: "yesterday", details: [{ field: "since", message: "Must be an ISO-8601 date-time, not in the future" }] }],
  },
  {
    route: "POST /api/v1/users",
    method: "POST",
    path: () => "/api/v1/users",
    in: "body",
    valid: () => [
      ["email", "new.user@example.com"],
      ["password", "a long enough password"],
      ["name", "New User"],
    ],
    bad: [
      { name: "email", value: "not-an-email", details: [{ field: "email", message: "Invalid email format" }] },
      { name: "password", value: "short", details: [{ field: "password", message: "Must be 8 to 256 characters long" }] },
      { name: "name", value: 7, details: [{ field: "name", message: "Must be a string of at most 200 characters" }] },
    ],
  },
  {
    route: "POST /auth/login",
    method: "POST",
    path: () => "/auth/login",
    auth: () => "none",
    in: "body",
    valid: () => [
      ["email", "alice@example.com"],
      ["password", "correct horse battery"],
    ],
    bad: [
      { name: "email", value: 5, details: [{ field: "email", message: "Invalid email format" }] },
      { name: "password", value: "", details: [{ field: "password", message: "Must be a non-empty string" }] },
    ],
  },
  {
    route: "POST /traffic-sources",
    method: "POST",
    path: () => "/traffic-sources",
    auth: session,
    in: "body",
    valid: () => [["name", "Storefront"]],
    bad: [{ name: "name", value: "   ", details: [{ field: "name", message: "Must be a non-blank string of at most 200 characters" }] }],
  },
  {
    route: "POST /webhooks/:trafficSourceId",
    method: "POST",
    path: () => `/webhooks/${sourceId}`,
    auth: session,
    in: "body",
    valid: () => [
      ["type", "discord"],
      ["level", "info"],
      ["value", "987654321"],
    ],
    bad: [
      { name: "type", value: "slack", details: [{ field: "type", message: 'Must be "discord"' }] },
      { name: "level", value: "panic", details: [{ field: "level", message: LEVELS }] },
      { name: "value", value: "https://example.com/not-discord", details: [{ field: "value", message: DISCORD_VALUE }] },
    ],
  },
  {
    route: "PATCH /webhooks/:trafficSourceId/:id",
    method: "PATCH",
    path: () => `/webhooks/${sourceId}/${alertHookId}`,
    auth: session,
    in: "body",
    valid: () => [
      ["type", "discord"],
      ["level", "fatal"],
      ["value", "555"],
    ],
    bad: [
      { name: "type", value: null, details: [{ field: "type", message: 'Must be "discord"' }] },
      { name: "level", value: ["fatal"], details: [{ field: "level", message: LEVELS }] },
      { name: "value", value: "", details: [{ field: "value", message: DISCORD_VALUE }] },
    ],
  },
  {
    route: "POST /traffic-sources/:id/events",
    method: "POST",
    path: () => `/traffic-sources/${sourceId}/events`,
    auth: session,
    in: "body",
    valid: () => [
      ["level", "fatal"],
      ["title", "Checkout down"],
      ["message", "Every request fails"],
      ["fields", [{ name: "region", value: "eu" }]],
    ],
    bad: [
      { name: "level", value: "loud", details: [{ field: "level", message: LEVELS }] },
      { name: "title", value: "", details: [{ field: "title", message: "Must be a non-blank string (cut to 256 characters)" }] },
      { name: "message", value: 42, details: [{ field: "message", message: "Must be a non-blank string (cut to 4096 characters)" }] },
      {
        name: "fields",
        value: [{ name: "ok", value: "fine" }, { name: " ", value: "x", inline: "no" }],
        details: [
          { field: "fields[1].name", message: "Must be a non-blank string (cut to 256 characters)" },
          { field: "fields[1].inline", message: "Must be true or false" },
        ],
      },
    ],
  },
];

function send(c: RouteCase, fields: [string, unknown][]) {
  const auth = c.auth?.() ?? "bearer";
  if (c.in === "query") {
    const query = new URLSearchParams(fields.map(([k, v]) => [k, String(v)])).toString();
    return t.request(c.method, `${c.path()}?${query}`, undefined, { auth });
  }
  return t.request(c.method, c.path(), undefined, { auth, raw: encode(Object.fromEntries(fields)) });
}

/** The request with the named fields wrong, in `order`; the answer it must get. */
function combination(c: RouteCase, wrong: BadField[], order: "as declared" | "reversed") {
  let fields = c.valid().map(([name, value]): [string, unknown] => {
    const bad = wrong.find((b) => b.name === name);
    return [name, bad ? bad.value : value];
  });
  if (order === "reversed") fields = fields.reverse();
  const expected = fields.flatMap(([name]) => wrong.find((b) => b.name === name)?.details ?? []);
  return { fields, expected };
}

function subsets(bad: BadField[]): [string, BadField[]][] {
  const out: [string, BadField[]][] = [];
  if (bad.length >= 2) out.push(["two fields", [bad[0]!, bad[bad.length - 1]!]]);
  if (bad.length >= 3) out.push(["three fields", bad.slice(-3)]);
  out.push([`all ${bad.length} fields`, bad]);
  return out;
}

for (const c of ROUTES) {
  describe(c.route, () => {
    for (const [label, wrong] of subsets(c.bad)) {
      for (const order of ["as declared", "reversed"] as const) {
        if (order === "reversed" && wrong.length < 2) continue;
        test(`${label} wrong (${wrong.map((b) => b.name).join(", ")}, ${order}): all listed in request order, nothing stored`, async () => {
          const { fields, expected } = combination(c, wrong, order);
          const before = dumpAll();
          const res = await send(c, fields);
          expect(res.status).toBe(400);
          expect(res.body).toEqual({
            error: "Bad Request",
            message: "The request contains invalid parameters or malformed data",
            code: 400,
            details: expected,
          });
          expect(dumpAll()).toBe(before);
        });
      }
    }
  });
}

describe("each bad value alone is refused (so every combination above really mixes invalid fields)", () => {
  for (const c of ROUTES) {
    for (const bad of c.bad) {
      test(`${c.route}: ${bad.name}`, async () => {
        const { fields, expected } = combination(c, [bad], "as declared");
        const res = await send(c, fields);
        expect(res.status).toBe(400);
        expect(res.body.details).toEqual(expected);
      });
    }
  }
});

describe("order of answers", () => {
  test("bad list parameters are a 400 even for an unknown webhook, as with a schema finding", async () => {
    for (const query of ["limit=0", "status=lost"]) {
      const res = await t.request("GET", `/api/v1/links/webhooks/whk_unknown/deliveries?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
    expect((await t.request("GET", "/api/v1/links/webhooks/whk_unknown/deliveries?limit=5")).status).toBe(404);
  });
});

describe("messages", () => {
  test("a missing field says it is required, listed after the fields that were sent", async () => {
    const res = await t.request("POST", "/api/v1/links/webhooks", { secret: "x", metadata: 1 });
    expect(res.body.details).toEqual([
      { field: "secret", message: "Must be a string of 8 to 128 characters" },
      { field: "metadata", message: "Must be a JSON object of at most 16 KiB" },
      { field: "url", message: "Is required" },
      { field: "events", message: "Is required" },
    ]);
  });

  test("every detail message we write starts with a capital letter and has no trailing period", () => {
    for (const c of ROUTES) {
      for (const b of c.bad) {
        for (const d of b.details) expect(d.message).toMatch(/^[A-Z][^]*[^.]$/);
      }
    }
  });
});

describe("unknown top-level fields are ignored whatever their name", () => {
  const names = ["foo", "toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__"];
  for (const name of names) {
    test(`"${name}" on create, patch, publish and a surface B route`, async () => {
      const extra = `,${JSON.stringify(name)}:{"secret":"smuggled"}`;
      const created = await t.request("POST", "/api/v1/links/webhooks", undefined, {
        raw: `{"url":"https://example.com/u","events":["link.clicked"]${extra}}`,
      });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body.data)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);
      const patched = await t.request("PATCH", `/api/v1/links/webhooks/${created.body.data.id}`, undefined, { raw: `{"active":false${extra}}` });
      expect(patched.status).toBe(200);
      const published = await t.request("POST", "/api/v1/events", undefined, { raw: `{"type":"link.clicked","data":{}${extra}}` });
      expect(published.status).toBe(202);
      const alert = await t.request("POST", `/traffic-sources/${sourceId}/events`, undefined, {
        auth: alice.auth,
        raw: `{"level":"info","title":"t","message":"m","fields":[{"name":"n","value":"v"${extra}}]${extra}}`,
      });
      expect(alert.status).toBe(202);
    });
  }

  test("an unknown field is ignored even when it holds a number JSON cannot hold", async () => {
    const created = await t.request("POST", "/api/v1/links/webhooks", undefined, {
      raw: '{"url":"https://example.com/n","events":["link.clicked"],"extra":1e400,"toString":[-1e999]}',
    });
    expect(created.status).toBe(201);
    const published = await t.request("POST", "/api/v1/events", undefined, { raw: '{"type":"link.clicked","data":{},"extra":{"n":1e400}}' });
    expect(published.status).toBe(202);
  });

  test("query parameters of any unknown name are ignored too", async () => {
    const query = "toString=1&constructor=2&__proto__=3&hasOwnProperty=4&foo=5";
    expect((await t.request("GET", `/api/v1/links/webhooks?${query}`)).status).toBe(200);
    expect((await t.request("GET", `/api/v1/links/webhooks/${webhookId}/deliveries?${query}`)).status).toBe(200);
    const bad = await t.request("GET", `/api/v1/links/webhooks?toString=1&limit=0&valueOf=2&active=no`);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(["limit", "active"]);
  });

  test("the same names inside metadata are kept: they are the caller's data", async () => {
    const raw = '{"url":"https://example.com/m","events":["link.clicked"],"metadata":{"toString":1,"__proto__":{"a":2},"constructor":"c"}}';
    const created = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw });
    expect(created.status).toBe(201);
    expect(created.text).toContain('"metadata":{"toString":1,"__proto__":{"a":2},"constructor":"c"}');
  });
});
