// Every cursor-paged list route on the SQLite store: the store's own cursor pages on, anything
// else — garbage, a cursor of the PostgreSQL store (a (created_at, id) pair), a cursor of the
// right shape with a stray byte — answers the documented 400 naming `cursor`, never a 500 and
// never a silent first page. The store decides which cursors are its own (Store.cursors).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeKeysetCursor } from "../src/db/postgres/keyset-page";
import { encodeRowIdCursor } from "../src/db/sqlite/rowid-page";
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
