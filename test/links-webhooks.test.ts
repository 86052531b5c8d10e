// Surface A webhook management, against the real app and a real SQLite file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApp } from "../src/app";
import { createLogger } from "../src/log";
import { ADMIN_KEY, createTestApp, type TestApp } from "./helpers/app";

const docExample = {
  url: "https://api.acme-retail.com/webhooks/links",
  events: ["link.clicked", "uptime.down"],
  secret: "example_string",
  metadata: {},
};

const UNAUTHORIZED = {
  error: "Unauthorized",
  message: "Authentication required. Please provide a valid API token",
  code: 401,
};

let t: TestApp;
beforeAll(() => {
  t = createTestApp();
});
afterAll(() => t.close());

function dump() {
  const sqlite = t.deps.db.$client;
  return JSON.stringify(sqlite.prepare("select * from webhooks order by id").all());
}

describe("create", () => {
  test("returns 201 and exactly the documented shape", async () => {
    const res = await t.request("POST", "/api/v1/links/webhooks", docExample);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["success", "data"]);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body.data)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);
    expect(res.body.data.id).toMatch(/^whk_[0-9A-Za-z]{8,}$/);
    expect(res.body.data.url).toBe(docExample.url);
    expect(res.body.data.events).toEqual(docExample.events);
    expect(res.body.data.active).toBe(true);
    expect(res.body.data.metadata).toEqual({});
    expect(res.body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.text).not.toContain("example_string");
  });

  test("accepts x-api-key as well as Bearer", async () => {
    const res = await t.request("POST", "/api/v1/links/webhooks", docExample, { auth: "x-api-key" });
    expect(res.status).toBe(201);
  });

  test("generates a whsec_ secret when none is given, readable only from /secret", async () => {
    const { secret: _omit, ...body } = docExample;
    const created = await t.request("POST", "/api/v1/links/webhooks", body);
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const got = await t.request("GET", `/api/v1/links/webhooks/${id}`);
    expect(got.text).not.toContain("whsec_");
    const secret = await t.request("GET", `/api/v1/links/webhooks/${id}/secret`);
    expect(secret.status).toBe(200);
    expect(secret.body.data.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.body.data.secret.slice(6), "base64").length).toBe(32);
  });

  test("accepts a whsec_ secret of real key bytes and a plain secret", async () => {
    for (const secret of ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a plain passphrase"]) {
      const res = await t.request("POST", "/api/v1/links/webhooks", { ...docExample, secret });
      expect(res.status).toBe(201);
      const stored = await t.request("GET", `/api/v1/links/webhooks/${res.body.data.id}/secret`);
      expect(stored.body.data.secret).toBe(secret);
    }
  });

  test("stores metadata as given", async () => {
    const metadata = { team: "growth", nested: { n: 1, list: [1, "two", null] } };
    const res = await t.request("POST", "/api/v1/links/webhooks", { ...docExample, metadata });
    expect(res.body.data.metadata).toEqual(metadata);
  });
});

describe("authentication", () => {
  const cases: [string, Record<string, string>][] = [
    ["no header", {}],
    ["wrong bearer", { authorization: "Bearer wrong-key-wrong-key" }],
    ["wrong x-api-key", { "x-api-key": "wrong-key-wrong-key" }],
    ["malformed authorization", { authorization: "Basic Zm9vOmJhcg==" }],
    ["empty bearer", { authorization: "Bearer " }],
  ];
  for (const [name, headers] of cases) {
    test(`401 with the exact body for ${name}`, async () => {
      const before = dump();
      const res = await t.request("POST", "/api/v1/links/webhooks", docExample, { auth: "none", headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED);
      expect(dump()).toBe(before);
    });
  }

  test("every management route requires a key", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/links/webhooks"],
      ["GET", "/api/v1/links/webhooks/whk_x"],
      ["PATCH", "/api/v1/links/webhooks/whk_x"],
      ["DELETE", "/api/v1/links/webhooks/whk_x"],
      ["GET", "/api/v1/links/webhooks/whk_x/secret"],
    ] as const) {
      const res = await t.request(method, path, undefined, { auth: "none" });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED);
    }
  });
});

describe("validation", () => {
  const invalid: [string, unknown, string][] = [
    ["missing url", { events: ["link.clicked"] }, "url"],
    ["relative url", { url: "/webhooks", events: ["link.clicked"] }, "url"],
    ["ftp url", { url: "ftp://example.com/x", events: ["link.clicked"] }, "url"],
    ["url with userinfo", { url: "https://user:pass@example.com/x", events: ["link.clicked"] }, "url"],
    // The URL parser reports an empty userinfo as none: the rule reads the URL as written.
    ["url with an empty userinfo", { url: "http://@example.com/", events: ["link.clicked"] }, "url"],
    ["url with an empty user and password", { url: "http://:@example.com/", events: ["link.clicked"] }, "url"],
    ["url with a user name only", { url: "https://user@example.com/x", events: ["link.clicked"] }, "url"],
    ["url with an empty userinfo and no slashes", { url: "http:@example.com/", events: ["link.clicked"] }, "url"],
    ["url with an empty userinfo after backslashes", { url: "http:\\\\@example.com/", events: ["link.clicked"] }, "url"],
    ["url too long", { url: "https://example.com/" + "a".repeat(2040), events: ["link.clicked"] }, "url"],
    ["url to loopback", { url: "http://127.0.0.1:8080/x", events: ["link.clicked"] }, "url"],
    ["url to localhost", { url: "http://localhost/x", events: ["link.clicked"] }, "url"],
    ["url to private range", { url: "http://10.1.2.3/x", events: ["link.clicked"] }, "url"],
    ["url to IPv6 loopback", { url: "http://[::1]/x", events: ["link.clicked"] }, "url"],
    ["url to IPv4-mapped IPv6", { url: "http://[::ffff:192.168.0.1]/x", events: ["link.clicked"] }, "url"],
    ["url to metadata address", { url: "http://169.254.169.254/latest", events: ["link.clicked"] }, "url"],
    ["url as decimal loopback", { url: "http://2130706433/x", events: ["link.clicked"] }, "url"],
    ["url not a string", { url: 42, events: ["link.clicked"] }, "url"],
    ["missing events", { url: "https://example.com/x" }, "events"],
    ["empty events", { url: "https://example.com/x", events: [] }, "events"],
    ["duplicate events", { url: "https://example.com/x", events: ["link.clicked", "link.clicked"] }, "events"],
    ["unknown event", { url: "https://example.com/x", events: ["link.clicked", "link.exploded"] }, "events[1]"],
    ["secret too short", { ...docExample, secret: "short" }, "secret"],
    ["secret too long", { ...docExample, secret: "s".repeat(129) }, "secret"],
    // whsec_ secrets are base64 key bytes: these would sign with an empty or all-zero key.
    ["whsec_ secret that is not base64", { ...docExample, secret: "whsec_!!!!!!!!" }, "secret"],
    ["whsec_ secret of zero bytes", { ...docExample, secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, "secret"],
    ["whsec_ secret too short a key", { ...docExample, secret: "whsec_YWJjZGVm" }, "secret"],
    ["url with surrounding spaces", { ...docExample, url: " https://example.com/h " }, "url"],
    ["url with a control character", { ...docExample, url: "https://example.com/a\tb" }, "url"],
    ["metadata is an array", { ...docExample, metadata: [1, 2] }, "metadata"],
    ["metadata is a string", { ...docExample, metadata: "x" }, "metadata"],
    ["metadata over 16 KiB", { ...docExample, metadata: { blob: "x".repeat(17 * 1024) } }, "metadata"],
    ["body is an array", [docExample], "body"],
  ];
  for (const [name, body, field] of invalid) {
    test(`400 naming ${field} for ${name}, nothing stored`, async () => {
      const before = dump();
      const res = await t.request("POST", "/api/v1/links/webhooks", body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("Bad Request");
      expect(res.body.message).toBe("The request contains invalid parameters or malformed data");
      expect(res.body.code).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      for (const d of res.body.details) expect(typeof d.message).toBe("string");
      expect(dump()).toBe(before);
    });
  }

  test("malformed JSON is a 400 in the envelope", async () => {
    const before = dump();
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw: '{"url": "https://a.com",' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "Bad Request",
      message: "The request contains invalid parameters or malformed data",
      code: 400,
      details: [{ field: "body", message: "The body is not valid JSON" }],
    });
    expect(dump()).toBe(before);
  });

  test("a non-JSON content type is a 415 in the envelope", async () => {
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, {
      raw: "url=https://a.com",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: "Unsupported Media Type", code: 415 });
  });

  test("a body over 1 MiB is a 413 in the envelope", async () => {
    const before = dump();
    const raw = JSON.stringify({ ...docExample, metadata: { blob: "x".repeat(1024 * 1024) } });
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: "Payload Too Large", code: 413 });
    expect(dump()).toBe(before);
  });

  test("invalid UTF-8 is a 400", async () => {
    const raw = new Uint8Array([0x7b, 0x22, 0x75, 0xff, 0xfe, 0x22, 0x7d]);
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw });
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe("body");
  });

  test("an empty body on create is a 400, not a crash", async () => {
    const res = await t.request("POST", "/api/v1/links/webhooks", undefined, { raw: "" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
  });
});

describe("unknown routes", () => {
  test("404 in the envelope", async () => {
    const res = await t.request("GET", "/api/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "Not Found", message: "The requested route does not exist", code: 404 });
  });

  test("an unknown webhook id is a 404 in the envelope", async () => {
    const res = await t.request("GET", "/api/v1/links/webhooks/whk_doesnotexist");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Not Found", code: 404 });
  });
});

describe("read, update, delete", () => {
  test("round trip", async () => {
    const created = await t.request("POST", "/api/v1/links/webhooks", docExample);
    const id = created.body.data.id;

    const got = await t.request("GET", `/api/v1/links/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(Object.keys(got.body.data)).toEqual([
      "id", "url", "events", "active", "metadata", "created_at", "updated_at", "disabled_reason", "tenant_id", "signature", "filter",
      "retry_schedule", "timeout_ms", "headers", "ordering", "rate_limit",
    ]);
    expect(got.body.data).toMatchObject({ ...created.body.data, disabled_reason: null, tenant_id: "default", signature: "hmac", ordering: null, rate_limit: null });

    const patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, {
      url: "https://hooks.example.org/new",
      events: ["link.created"],
      metadata: { v: 2 },
      active: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      id,
      url: "https://hooks.example.org/new",
      events: ["link.created"],
      metadata: { v: 2 },
      active: false,
      created_at: created.body.data.created_at,
    });
    expect(patched.body.data.disabled_reason).toBeString();

    const reenabled = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { active: true });
    expect(reenabled.body.data).toMatchObject({ active: true, disabled_reason: null, url: "https://hooks.example.org/new" });

    const newSecret = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { secret: "a-brand-new-secret" });
    expect(newSecret.status).toBe(200);
    expect(newSecret.text).not.toContain("a-brand-new-secret");
    const secret = await t.request("GET", `/api/v1/links/webhooks/${id}/secret`);
    expect(secret.body.data.secret).toBe("a-brand-new-secret");

    const deleted = await t.request("DELETE", `/api/v1/links/webhooks/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, data: { id, deleted: true } });
    expect((await t.request("GET", `/api/v1/links/webhooks/${id}`)).status).toBe(404);
    expect((await t.request("DELETE", `/api/v1/links/webhooks/${id}`)).status).toBe(404);
  });

  test("a rejected patch changes nothing", async () => {
    const created = await t.request("POST", "/api/v1/links/webhooks", docExample);
    const id = created.body.data.id;
    const before = dump();
    for (const body of [
      { url: "not a url" },
      { events: [] },
      { events: ["link.clicked", "nope"] },
      { active: "yes" },
      { metadata: [] },
      { url: "https://ok.example.com/x", events: ["bogus"] },
      { url: "http://@example.com/" },
      { url: "http://:@example.com/" },
      {},
    ]) {
      const res = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
    }
    expect(dump()).toBe(before);
  });

  test("an @ outside the authority is not userinfo", async () => {
    for (const url of ["https://example.com/a@b", "https://example.com/x?to=a@b.c", "https://example.com/#@", "https://example.com\\@evil.example/"]) {
      const res = await t.request("POST", "/api/v1/links/webhooks", { url, events: ["link.clicked"] });
      expect([res.status, url]).toEqual([201, url]);
    }
  });

  test("patching an unknown id is a 404", async () => {
    const res = await t.request("PATCH", "/api/v1/links/webhooks/whk_missing", { active: false });
    expect(res.status).toBe(404);
  });
});

describe("delivery controls: ordering and rate_limit", () => {
  const ORDERING = 'Must be "fifo" or null';
  const RATE = "Must be a whole number of requests a second from 1 to 10000, or null";

  test("create takes them (the answer stays the six documented fields), reads show them, PATCH sets and clears each alone", async () => {
    const created = await t.request("POST", "/api/v1/links/webhooks", { ...docExample, ordering: "fifo", rate_limit: 20 });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body.data)).toEqual(["id", "url", "events", "active", "metadata", "created_at"]);
    const id = created.body.data.id;
    const got = await t.request("GET", `/api/v1/links/webhooks/${id}`);
    expect(got.body.data).toMatchObject({ ordering: "fifo", rate_limit: 20 });

    let patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { rate_limit: 500 });
    expect(patched.body.data).toMatchObject({ ordering: "fifo", rate_limit: 500 });
    patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { ordering: null });
    expect(patched.body.data).toMatchObject({ ordering: null, rate_limit: 500 });
    patched = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { rate_limit: null, ordering: "fifo" });
    expect(patched.body.data).toMatchObject({ ordering: "fifo", rate_limit: null });
    const listed = await t.request("GET", "/api/v1/links/webhooks?limit=100");
    expect(listed.body.data.find((w: { id: string }) => w.id === id)).toMatchObject({ ordering: "fifo", rate_limit: null });
  });

  test.each([
    ["ordering", "lifo", ORDERING],
    ["ordering", 1, ORDERING],
    ["rate_limit", 0, RATE],
    ["rate_limit", 10001, RATE],
    ["rate_limit", 2.5, RATE],
    ["rate_limit", "20", RATE],
  ])("a bad %s (%p) is a 400 naming it, on create and on PATCH, and nothing is stored", async (field, value, message) => {
    const before = dump();
    const res = await t.request("POST", "/api/v1/links/webhooks", { ...docExample, [field]: value });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field, message }]);
    const id = (await t.request("POST", "/api/v1/links/webhooks", docExample)).body.data.id;
    const stored = dump();
    const patch = await t.request("PATCH", `/api/v1/links/webhooks/${id}`, { [field]: value });
    expect(patch.status).toBe(400);
    expect(patch.body.details).toEqual([{ field, message }]);
    expect(dump()).toBe(stored);
    expect(before).not.toBe(stored);
  });
});

describe("list", () => {
  test("cursor pagination walks every webhook once, newest first", async () => {
    const fresh = createTestApp();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await fresh.request("POST", "/api/v1/links/webhooks", {
          url: `https://example.com/hook/${i}`,
          events: [i % 2 ? "link.clicked" : "uptime.down"],
        });
        ids.push(res.body.data.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
        const res = await fresh.request("GET", `/api/v1/links/webhooks${query}`);
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual(["success", "data", "pagination"]);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        for (const w of res.body.data) seen.push(w.id);
        cursor = res.body.pagination.next_cursor;
        expect(res.body.pagination.has_more).toBe(cursor !== null);
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());

      const clicked = await fresh.request("GET", "/api/v1/links/webhooks?event=link.clicked&limit=100");
      expect(clicked.body.data.map((w: { id: string }) => w.id).sort()).toEqual(ids.filter((_, i) => i % 2).sort());

      await fresh.request("PATCH", `/api/v1/links/webhooks/${ids[0]}`, { active: false });
      const inactive = await fresh.request("GET", "/api/v1/links/webhooks?active=false");
      expect(inactive.body.data.map((w: { id: string }) => w.id)).toEqual([ids[0]]);
      const active = await fresh.request("GET", "/api/v1/links/webhooks?active=true");
      expect(active.body.data).toHaveLength(6);

      const defaultPage = await fresh.request("GET", "/api/v1/links/webhooks");
      expect(defaultPage.body.data).toHaveLength(7);
      expect(defaultPage.body.pagination).toEqual({ next_cursor: null, has_more: false });
    } finally {
      fresh.close();
    }
  });

  test("bad list parameters are 400s naming the parameter", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=abc", "limit"],
      ["cursor=!!!", "cursor"],
      ["event=link.nope", "event"],
      ["active=maybe", "active"],
    ]) {
      const res = await t.request("GET", `/api/v1/links/webhooks?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });
});

describe("operations", () => {
  test("GET /health", async () => {
    const res = await t.request("GET", "/health", undefined, { auth: "none" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  test("OpenAPI documents every route with both security schemes", async () => {
    const res = await t.request("GET", "/swagger/json", undefined, { auth: "none" });
    expect(res.status).toBe(200);
    const spec = res.body;
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(["apiKeyHeader", "bearerAuth", "sessionToken"]);
    expect(spec.components.securitySchemes.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "x-api-key" });
    const create = spec.paths["/api/v1/links/webhooks"].post;
    expect(create.summary).toBe("Create webhook");
    expect(create.requestBody).toBeDefined();
    expect(create.responses["201"]).toBeDefined();
    for (const path of ["/api/v1/links/webhooks", "/api/v1/links/webhooks/{id}", "/api/v1/links/webhooks/{id}/secret"]) {
      expect(spec.paths[path]).toBeDefined();
      for (const op of Object.values(spec.paths[path]) as { summary?: string }[]) expect(op.summary).toBeString();
    }
  });
});

describe("unexpected failures", () => {
  test("answer 500 in the envelope with a request id and no stack, and are logged", async () => {
    const lines: string[] = [];
    const broken = createTestApp();
    const app = buildApp({ ...broken.deps, logger: createLogger("error", (l) => lines.push(l)) });
    // A closed database makes every query throw: a failure no input validation can prevent.
    broken.deps.db.$client.close();
    const res = await app.handle(
      new Request("http://localhost/api/v1/links/webhooks", {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }),
    );
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["error", "message", "code"]);
    expect(body.error).toBe("Internal Server Error");
    expect(body.code).toBe(500);
    const requestId = res.headers.get("x-request-id")!;
    expect(body.message).toContain(requestId);
    expect(JSON.stringify(body)).not.toMatch(/\.ts:\d+|at \w+ \(/);
    expect(lines.some((l) => JSON.parse(l).request_id === requestId)).toBe(true);
    broken.close();
  });
});

describe("request log", () => {
  /** One list request through an app logging at `level`: the lines written and the answer. */
  async function listLogged(level: "info" | "warn", requestId: string) {
    const lines: string[] = [];
    const t = createTestApp();
    const app = buildApp({ ...t.deps, logger: createLogger(level, (l) => lines.push(l)) });
    const res = await app.handle(
      new Request("http://localhost/api/v1/links/webhooks", { headers: { authorization: `Bearer ${ADMIN_KEY}`, "x-request-id": requestId } }),
    );
    await Bun.sleep(10); // the line is written after the response
    t.close();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    return lines;
  }

  test("writes one line per request at info, with the request id it echoes", async () => {
    const entries = (await listLogged("info", "req-info-1")).map((l) => JSON.parse(l)).filter((e) => e.msg === "request");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: "info", request_id: "req-info-1", method: "GET", path: "/api/v1/links/webhooks", status: 200 });
    expect(entries[0].duration_ms).toBeNumber();
  });

  test("writes none above info, and still echoes the request id", async () => {
    expect(await listLogged("warn", "req-warn-1")).toEqual([]);
  });
});
