// POST/GET/PATCH/DELETE /webhooks/:trafficSourceId — every status of
// surface B (docs/api-guide.md) with its body, the order of checks, and the 409 race.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { buildApp } from "../src/app";
import { openDatabase, closeDatabase } from "../src/db/client";
import { trafficSourceWebhooks } from "../src/db/schema";
import { createTestApp, type TestApp } from "./helpers/app";
import { signIn, type SignedInUser } from "./helpers/sessions";
import { SqliteStore } from "../src/db/sqlite/store";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DOC_EXAMPLE = { type: "discord", level: "fatal", value: "123456789" };
const HOOK_URL = "https://discord.com/api/webhooks/1234567890123456789/AbC-dEf_123";
const MISSING_TOKEN = {
  error: "Bad Request",
  message: "Missing authentication token. Send Authorization: Bearer <token> from POST /auth/login",
  code: 400,
  details: [{ field: "authorization", message: "Is required" }],
};
const INVALID_TOKEN = {
  error: "Unauthorized",
  message: "The authentication token is invalid or has expired. Sign in again with POST /auth/login",
  code: 401,
};

let app: TestApp;
let alice: SignedInUser;
let bob: SignedInUser;

beforeAll(async () => {
  app = createTestApp();
  alice = await signIn(app, "alice@example.com");
  bob = await signIn(app, "bob@example.com");
});
afterAll(() => app.close());

async function newSource(user: SignedInUser, name = "Checkout API"): Promise<string> {
  const res = await app.request("POST", "/traffic-sources", { name }, { auth: user.auth });
  expect(res.status).toBe(201);
  return res.body.id;
}

const createHook = (sourceId: string, body: unknown, user: SignedInUser | "none" | { bearer: string } = alice) =>
  app.request("POST", `/webhooks/${sourceId}`, body, { auth: user === "none" ? "none" : "auth" in user ? user.auth : user });

const hookCount = (sourceId: string) =>
  app.deps.db.select().from(trafficSourceWebhooks).where(eq(trafficSourceWebhooks.trafficSourceId, sourceId)).all().length;

describe("traffic sources", () => {
  test("POST /traffic-sources 201 owned by the caller; GET lists only the caller's", async () => {
    const res = await app.request("POST", "/traffic-sources", { name: "  Storefront  " }, { auth: alice.auth });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["id", "name", "ownerId", "createdAt", "updatedAt"]);
    expect(res.body).toMatchObject({ name: "Storefront", ownerId: alice.id });
    expect(res.body.id).toMatch(UUID);
    await newSource(bob, "Bob's");
    const list = await app.request("GET", "/traffic-sources", undefined, { auth: alice.auth });
    expect(list.status).toBe(200);
    expect(list.body.map((s: { ownerId: string }) => s.ownerId).every((id: string) => id === alice.id)).toBe(true);
    expect(list.body.map((s: { id: string }) => s.id)).toContain(res.body.id);
    const other = await app.request("GET", `/traffic-sources/${res.body.id}`, undefined, { auth: bob.auth });
    expect(other.status).toBe(403);
  });

  test("POST /traffic-sources 400 for a blank name, 400 without a token", async () => {
    const blank = await app.request("POST", "/traffic-sources", { name: "   " }, { auth: alice.auth });
    expect(blank.status).toBe(400);
    expect(blank.body.details).toEqual([{ field: "name", message: "Must be a non-blank string of at most 200 characters" }]);
    const noToken = await app.request("POST", "/traffic-sources", { name: "x" }, { auth: "none" });
    expect(noToken.status).toBe(400);
    expect(noToken.body).toEqual(MISSING_TOKEN);
  });
});

describe("POST /webhooks/:trafficSourceId", () => {
  test("201 with exactly {id, type, level, value, trafficSourceId, createdAt, updatedAt} for the document's example", async () => {
    const sourceId = await newSource(alice);
    const res = await createHook(sourceId, DOC_EXAMPLE);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["id", "type", "level", "value", "trafficSourceId", "createdAt", "updatedAt"]);
    expect(res.body).toMatchObject({ type: "discord", level: "fatal", value: "123456789", trafficSourceId: sourceId });
    expect(res.body.id).toMatch(UUID);
    expect(res.body.createdAt).toMatch(ISO);
    expect(res.body.updatedAt).toBe(res.body.createdAt);
  });

  test("201 for Discord webhook URLs (discord.com, discordapp.com, canary., versioned path)", async () => {
    const sourceId = await newSource(alice);
    const values = [
      HOOK_URL,
      "https://discordapp.com/api/webhooks/1234567890123456789/tok",
      "https://canary.discord.com/api/v10/webhooks/1234567890123456789/tok",
    ];
    for (const [i, value] of values.entries()) {
      const res = await createHook(sourceId, { type: "discord", level: ["fatal", "warning", "info"][i], value });
      expect(res.status).toBe(201);
      expect(res.body.value).toBe(value);
    }
  });

  test("400 for invalid input, naming each field; nothing is stored", async () => {
    const sourceId = await newSource(alice);
    const res = await createHook(sourceId, { type: "slack", level: "critical", value: "https://example.com/api/webhooks/1/x" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "Bad Request",
      message: "The request contains invalid parameters or malformed data",
      code: 400,
      details: [
        { field: "type", message: 'Must be "discord"' },
        { field: "level", message: "Must be one of fatal, warning, info" },
        {
          field: "value",
          message: "Must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token}) or a Discord channel id (digits)",
        },
      ],
    });
    const missing = await createHook(sourceId, { type: "discord" });
    expect(missing.status).toBe(400);
    expect(missing.body.details.map((d: { field: string }) => d.field)).toEqual(["level", "value"]);
    for (const value of ["12ab", "", "http://discord.com/api/webhooks/1/x", "https://discord.com/api/webhooks/1/x?wait=true", "1".repeat(21)]) {
      const bad = await createHook(sourceId, { type: "discord", level: "info", value });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe("value");
    }
    const notJson = await app.request("POST", `/webhooks/${sourceId}`, undefined, { auth: alice.auth, raw: "{nope", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.details[0].field).toBe("body");
    expect(hookCount(sourceId)).toBe(0);
  });

  test("400 for a missing token (the document's rule), also for a non-Bearer Authorization", async () => {
    const sourceId = await newSource(alice);
    const res = await createHook(sourceId, DOC_EXAMPLE, "none");
    expect(res.status).toBe(400);
    expect(res.body).toEqual(MISSING_TOKEN);
    const basic = await app.request("POST", `/webhooks/${sourceId}`, DOC_EXAMPLE, { auth: "none", headers: { authorization: "Basic YTpi" } });
    expect(basic.status).toBe(400);
    expect(basic.body).toEqual(MISSING_TOKEN);
    expect(hookCount(sourceId)).toBe(0);
  });

  test("401 for an invalid token", async () => {
    const sourceId = await newSource(alice);
    const res = await createHook(sourceId, DOC_EXAMPLE, { bearer: "hrs_not-a-real-token" });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_TOKEN);
    // An API key is not a session token either.
    const apiKey = await app.request("POST", `/webhooks/${sourceId}`, DOC_EXAMPLE, { auth: "bearer" });
    expect(apiKey.status).toBe(401);
  });

  test("403 when the source belongs to another user", async () => {
    const sourceId = await newSource(alice);
    const res = await createHook(sourceId, DOC_EXAMPLE, bob);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: "Forbidden", message: "You do not have permission to manage this traffic source", code: 403 });
    expect(hookCount(sourceId)).toBe(0);
  });

  test("404 for an unknown source", async () => {
    const id = crypto.randomUUID();
    const res = await createHook(id, DOC_EXAMPLE);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "Not Found", message: "The specified traffic source was not found", code: 404 });
  });

  test("409 when the level already has a webhook", async () => {
    const sourceId = await newSource(alice);
    expect((await createHook(sourceId, DOC_EXAMPLE)).status).toBe(201);
    const res = await createHook(sourceId, { type: "discord", level: "fatal", value: HOOK_URL });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: "Conflict", message: "A webhook for this severity level already exists on this traffic source", code: 409 });
    expect(hookCount(sourceId)).toBe(1);
  });

  test("order of checks: token presence → token validity → body → source exists → ownership → conflict", async () => {
    const sourceId = await newSource(alice);
    const badBody = { type: "nope" };
    expect((await createHook(sourceId, badBody, "none")).body).toEqual(MISSING_TOKEN);
    expect((await createHook(sourceId, badBody, { bearer: "hrs_bogus" })).status).toBe(401);
    // The token is checked on arrival, before the body is even read.
    const malformed = { raw: "{nope", headers: { "content-type": "application/json" } };
    expect((await app.request("POST", `/webhooks/${sourceId}`, undefined, { auth: "none", ...malformed })).body).toEqual(MISSING_TOKEN);
    expect((await app.request("POST", `/webhooks/${sourceId}`, undefined, { auth: { bearer: "hrs_bogus" }, ...malformed })).body).toEqual(INVALID_TOKEN);
    const textBody = { raw: "hello", headers: { "content-type": "text/plain" } };
    expect((await app.request("POST", `/webhooks/${sourceId}`, undefined, { auth: { bearer: "hrs_bogus" }, ...textBody })).status).toBe(401);
    expect((await app.request("POST", `/webhooks/${sourceId}`, undefined, { auth: alice.auth, ...textBody })).status).toBe(415);
    const bodyFirst = await createHook(crypto.randomUUID(), badBody);
    expect(bodyFirst.status).toBe(400);
    expect(bodyFirst.body.details.map((d: { field: string }) => d.field).sort()).toEqual(["level", "type", "value"]);
    expect((await createHook(crypto.randomUUID(), DOC_EXAMPLE, bob)).status).toBe(404);
    expect((await createHook(sourceId, DOC_EXAMPLE)).status).toBe(201);
    // Bob asking for a level that is taken learns only that he may not manage the source.
    expect((await createHook(sourceId, DOC_EXAMPLE, bob)).status).toBe(403);
  });

  test("two racing creates for one level, over two database connections: one 201, one 409", async () => {
    const sourceId = await newSource(alice);
    const secondDb = openDatabase(app.deps.config.databasePath);
    const second = buildApp({ ...app.deps, db: secondDb, store: new SqliteStore(secondDb) });
    try {
      const send = (target: { handle(r: Request): Promise<Response> }) =>
        target.handle(
          new Request(`http://localhost/webhooks/${sourceId}`, {
            method: "POST",
            headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
            body: JSON.stringify(DOC_EXAMPLE),
          }),
        );
      const responses = await Promise.all([send(app.app), send(second), send(app.app), send(second)]);
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409]);
      expect(hookCount(sourceId)).toBe(1);
    } finally {
      closeDatabase(secondDb);
    }
  });
});

describe("GET, PATCH, DELETE /webhooks/:trafficSourceId[/:id]", () => {
  test("GET lists the source's webhooks by severity; 403 for another user, 404 unknown, 400 without token", async () => {
    const sourceId = await newSource(alice);
    const a = await createHook(sourceId, DOC_EXAMPLE);
    const b = await createHook(sourceId, { type: "discord", level: "info", value: HOOK_URL });
    const res = await app.request("GET", `/webhooks/${sourceId}`, undefined, { auth: alice.auth });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([a.body, b.body]);
    expect((await app.request("GET", `/webhooks/${sourceId}`, undefined, { auth: bob.auth })).status).toBe(403);
    expect((await app.request("GET", `/webhooks/${crypto.randomUUID()}`, undefined, { auth: alice.auth })).status).toBe(404);
    expect((await app.request("GET", `/webhooks/${sourceId}`, undefined, { auth: "none" })).body).toEqual(MISSING_TOKEN);
  });

  test("PATCH changes fields and updatedAt; 409 onto a taken level; 404 unknown id; 400 empty; 403 other user", async () => {
    const sourceId = await newSource(alice);
    const fatal = (await createHook(sourceId, DOC_EXAMPLE)).body;
    await createHook(sourceId, { type: "discord", level: "info", value: "987654321" });
    const path = `/webhooks/${sourceId}/${fatal.id}`;
    await Bun.sleep(2);
    const res = await app.request("PATCH", path, { level: "warning", value: HOOK_URL }, { auth: alice.auth });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["id", "type", "level", "value", "trafficSourceId", "createdAt", "updatedAt"]);
    expect(res.body).toMatchObject({ id: fatal.id, level: "warning", value: HOOK_URL, createdAt: fatal.createdAt });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(fatal.createdAt));

    const taken = await app.request("PATCH", path, { level: "info" }, { auth: alice.auth });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe(409);
    const empty = await app.request("PATCH", path, {}, { auth: alice.auth });
    expect(empty.status).toBe(400);
    const badValue = await app.request("PATCH", path, { value: "discord.com" }, { auth: alice.auth });
    expect(badValue.status).toBe(400);
    expect(badValue.body.details[0].field).toBe("value");
    const unknown = await app.request("PATCH", `/webhooks/${sourceId}/${crypto.randomUUID()}`, { level: "fatal" }, { auth: alice.auth });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "Not Found", message: "The specified webhook was not found on this traffic source", code: 404 });
    const other = await app.request("PATCH", path, { level: "fatal" }, { auth: bob.auth });
    expect(other.status).toBe(403);
    expect((await app.request("GET", `/webhooks/${sourceId}`, undefined, { auth: alice.auth })).body[0].level).toBe("warning");
  });

  test("DELETE 204, then 404; 403 for another user; a webhook id under another source is 404", async () => {
    const sourceId = await newSource(alice);
    const otherSource = await newSource(alice);
    const hook = (await createHook(sourceId, DOC_EXAMPLE)).body;
    expect((await app.request("DELETE", `/webhooks/${sourceId}/${hook.id}`, undefined, { auth: bob.auth })).status).toBe(403);
    expect((await app.request("DELETE", `/webhooks/${otherSource}/${hook.id}`, undefined, { auth: alice.auth })).status).toBe(404);
    const res = await app.request("DELETE", `/webhooks/${sourceId}/${hook.id}`, undefined, { auth: alice.auth });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect(hookCount(sourceId)).toBe(0);
    expect((await app.request("DELETE", `/webhooks/${sourceId}/${hook.id}`, undefined, { auth: alice.auth })).status).toBe(404);
    // The level is free again.
    expect((await createHook(sourceId, DOC_EXAMPLE)).status).toBe(201);
  });
});

describe("OpenAPI", () => {
  test("every surface B route has a summary and the session bearer scheme; login needs none", async () => {
    const spec = (await app.request("GET", "/swagger/json", undefined, { auth: "none" })).body;
    expect(spec.components.securitySchemes.sessionToken).toMatchObject({ type: "http", scheme: "bearer" });
    const routes: [string, string][] = [
      ["/traffic-sources", "post"],
      ["/traffic-sources", "get"],
      ["/traffic-sources/{id}", "get"],
      ["/traffic-sources/{id}/events", "post"],
      ["/webhooks/{trafficSourceId}", "post"],
      ["/webhooks/{trafficSourceId}", "get"],
      ["/webhooks/{trafficSourceId}/{id}", "patch"],
      ["/webhooks/{trafficSourceId}/{id}", "delete"],
      ["/auth/me", "get"],
      ["/auth/logout", "post"],
    ];
    for (const [path, method] of routes) {
      const op = spec.paths[path][method];
      expect(op.summary).toBeString();
      expect(op.security).toEqual([{ sessionToken: [] }]);
    }
    const create = spec.paths["/webhooks/{trafficSourceId}"].post;
    expect(create.summary).toBe("Create Webhook");
    expect(Object.keys(create.responses).sort()).toEqual(["201", "400", "401", "403", "404", "409", "413", "415", "500"]);
    expect(spec.paths["/auth/login"].post.security).toEqual([]);
    expect(spec.paths["/api/v1/users"].post.summary).toBe("Create user");
  });
});
