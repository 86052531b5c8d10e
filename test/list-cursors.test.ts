// Every cursor-paged list route on the SQLite store: the store's own cursor pages on, anything
// else — garbage, a cursor of the PostgreSQL store (a (created_at, id) pair), a cursor of the
// right shape with a stray byte — answers the documented 400 naming `cursor`, never a 500 and
// never a silent first page. The store decides which cursors are its own (Store.cursors); the
// PostgreSQL store's decision is checked here too, without a server on it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeKeysetCursor, encodeKeysetCursor, keysetCursors } from "../src/db/postgres/keyset-page";
import { encodeRowIdCursor, rowIdCursors } from "../src/db/sqlite/rowid-page";
import { pageFieldErrors, parsePage } from "../src/http/pagination";
import { createTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let webhookId = "";

beforeAll(async () => {
  t = createTestApp();
  await t.request("PUT", "/api/v1/tenants/acme", {});
  for (let i = 0; i < 3; i++) {
    const res = await t.request("POST", "/api/v1/links/webhooks", { url: `https://example.com/${i}`, events: ["link.clicked"] });
    webhookId = res.body.data.id;
  }
  for (let i = 0; i < 3; i++) expect((await t.request("POST", "/api/v1/events", { type: "link.clicked", data: { i } })).status).toBe(202);
  expect((await t.request("POST", "/api/v1/api-keys", { name: "second" })).status).toBe(201);
  await t.request("POST", "/api/v1/users", { email: "one@example.com", password: "password-one" });
  await t.request("POST", "/api/v1/users", { email: "two@example.com", password: "password-two" });
});
afterAll(() => t.close());

const LISTS = [
  "/api/v1/links/webhooks",
  () => `/api/v1/links/webhooks/${webhookId}/deliveries`,
  "/api/v1/deliveries",
  "/api/v1/events",
  "/api/v1/api-keys",
  "/api/v1/tenants",
  "/api/v1/users",
] as const;
const pathOf = (list: (typeof LISTS)[number]) => (typeof list === "string" ? list : list());

const FOREIGN: [string, string][] = [
  ["garbage", "not-a-cursor"],
  ["a PostgreSQL cursor", encodeKeysetCursor({ createdAt: Date.now(), id: "whk_0123456789" })],
  ["a rowid cursor with a NUL", Buffer.from("r1\u0000").toString("base64url")],
  ["an empty cursor", ""],
];
const CURSOR_400 = { error: "Bad Request", code: 400, details: [{ field: "cursor", message: "Must be a cursor returned by a previous page" }] };

describe("list cursors on the SQLite store", () => {
  test.each(LISTS.map((l) => [typeof l === "string" ? l : "/api/v1/links/webhooks/:id/deliveries", l] as const))("%s pages on with its own cursor", async (_name, list) => {
    const first = await t.request("GET", `${pathOf(list)}?limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.pagination.has_more).toBe(true);
    const next = await t.request("GET", `${pathOf(list)}?limit=1&cursor=${first.body.pagination.next_cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.data[0]).not.toEqual(first.body.data[0]);
  });

  for (const list of LISTS) {
    for (const [what, cursor] of FOREIGN) {
      test(`${typeof list === "string" ? list : "/api/v1/links/webhooks/:id/deliveries"}: ${what} is a 400`, async () => {
        const res = await t.request("GET", `${pathOf(list)}?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject(CURSOR_400);
      });
    }
  }

  test.each(FOREIGN)("POST /api/v1/deliveries/retry: %s is a 400, nothing retried", async (_what, cursor) => {
    const res = await t.request("POST", "/api/v1/deliveries/retry", { cursor });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(CURSOR_400);
  });

  test("a bad limit and a foreign cursor are named together", async () => {
    const res = await t.request("GET", `/api/v1/users?limit=0&cursor=${encodeKeysetCursor({ createdAt: 1, id: "u" })}`);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(["limit", "cursor"]);
  });

  test("a rowid cursor of a row that is gone still pages (the walk goes on below it)", async () => {
    const res = await t.request("GET", `/api/v1/events?cursor=${encodeRowIdCursor(1_000_000)}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
  });
});

describe("which cursors each store calls its own", () => {
  const at = { createdAt: 1_767_225_600_123, id: "whk_0A1b2C3d" };

  test("SQLite's are rowids, PostgreSQL's (created_at, id) pairs; neither takes the other's", () => {
    expect(rowIdCursors.isOwn(encodeRowIdCursor(42))).toBe(true);
    expect(keysetCursors.isOwn(encodeKeysetCursor(at))).toBe(true);
    expect(rowIdCursors.isOwn(encodeKeysetCursor(at))).toBe(false);
    expect(keysetCursors.isOwn(encodeRowIdCursor(42))).toBe(false);
    expect(decodeKeysetCursor(encodeKeysetCursor(at))).toEqual(at);
  });

  test.each([
    ["a NUL in the id", Buffer.from(`k${at.createdAt}.whk_\u0000x`).toString("base64url")],
    ["a byte outside ASCII in the id", Buffer.from([...Buffer.from(`k${at.createdAt}.whk_`), 0xff]).toString("base64url")],
    ["a space in the id", Buffer.from(`k${at.createdAt}.whk a`).toString("base64url")],
    ["no id", Buffer.from(`k${at.createdAt}.`).toString("base64url")],
    ["a time past int8's safe range", Buffer.from(`k1234567890123456.whk_a`).toString("base64url")],
    ["a time with a leading zero", Buffer.from(`k0${at.createdAt}.whk_a`).toString("base64url")],
    ["padding", `${encodeKeysetCursor(at)}==`],
    ["characters base64url does not have", `${encodeKeysetCursor(at)}!`],
    ["garbage", "not-a-cursor"],
    ["nothing", ""],
  ])("PostgreSQL's store refuses a cursor with %s", (_what, cursor) => {
    expect(keysetCursors.isOwn(cursor)).toBe(false);
    expect(pageFieldErrors({ cursor }, keysetCursors)).toEqual([{ field: "cursor", message: "Must be a cursor returned by a previous page" }]);
  });

  test("parsePage names a bad limit and a foreign cursor together, on either store's cursors", () => {
    for (const [cursors, foreign] of [[rowIdCursors, encodeKeysetCursor(at)], [keysetCursors, encodeRowIdCursor(1)]] as const) {
      expect(() => parsePage({ limit: "0", cursor: foreign }, cursors)).toThrow();
      expect(pageFieldErrors({ limit: "0", cursor: foreign }, cursors).map((e) => e.field)).toEqual(["limit", "cursor"]);
      expect(parsePage({ limit: "5" }, cursors)).toEqual({ limit: 5 });
    }
  });
});
