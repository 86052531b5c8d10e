// User lifecycle on the API-key surface (list, update, disable, delete, password reset, end
// sessions) and a signed-in user's own password change: whatever takes access away ends the
// user's sessions with the very next request.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { sessions, trafficSources, users } from "../src/db/schema";
import { createTestApp, type TestApp } from "./helpers/app";
import { signIn } from "./helpers/sessions";

const PASSWORD = "correct horse battery";
let app: TestApp;

beforeAll(() => {
  app = createTestApp();
});
afterAll(() => app.close());

const login = (email: string, password: string) => app.request("POST", "/auth/login", { email, password }, { auth: "none" });
const me = (token: string) => app.request("GET", "/auth/me", undefined, { auth: { bearer: token } });
const USER_KEYS = ["id", "email", "name", "createdAt", "updatedAt", "disabledAt"];

describe("GET /api/v1/users", () => {
  test("lists newest first in cursor pages, without password hashes", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await app.request("POST", "/api/v1/users", { email: `list-${i}@example.com`, password: PASSWORD })).status).toBe(201);
    }
    const first = await app.request("GET", "/api/v1/users?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.map((u: { email: string }) => u.email)).toEqual(["list-4@example.com", "list-3@example.com"]);
    expect(Object.keys(first.body.data[0])).toEqual(USER_KEYS);
    expect(first.body.pagination.has_more).toBe(true);
    expect(first.text).not.toContain("argon2");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: any } = await app.request("GET", `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.body.data.map((u: { email: string }) => u.email));
      cursor = res.body.pagination.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([4, 3, 2, 1, 0].map((i) => `list-${i}@example.com`));
    expect(new Set(seen).size).toBe(seen.length);
  });

  test("a bad limit names the field; no key is 401", async () => {
    const bad = await app.request("GET", "/api/v1/users?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ field: "limit", message: "Must be an integer from 1 to 100" }]);
    expect((await app.request("GET", "/api/v1/users", undefined, { auth: "none" })).status).toBe(401);
  });
});

describe("PATCH /api/v1/users/:id", () => {
  test("renames, and disabling ends every session at once; a disabled user cannot sign in", async () => {
    const user = await signIn(app, "disable@example.com");
    const other = await login("disable@example.com", user.password);
    expect((await me(user.token)).status).toBe(200);

    const renamed = await app.request("PATCH", `/api/v1/users/${user.id}`, { name: "Ops" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toMatchObject({ id: user.id, name: "Ops", disabledAt: null });
    expect((await me(user.token)).status).toBe(200); // renaming takes nothing away

    const disabled = await app.request("PATCH", `/api/v1/users/${user.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body.data.disabledAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await me(user.token)).status).toBe(401);
    expect((await me(other.body.token)).status).toBe(401);
    expect(app.deps.db.select().from(sessions).where(eq(sessions.userId, user.id)).all()).toEqual([]);
    const refused = await login("disable@example.com", user.password);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: "Unauthorized", message: "Invalid email or password", code: 401 });

    const enabled = await app.request("PATCH", `/api/v1/users/${user.id}`, { disabled: false });
    expect(enabled.body.data.disabledAt).toBeNull();
    expect((await login("disable@example.com", user.password)).status).toBe(200);
  });

  test("bad fields are named, every one at once, and nothing changes; unknown users are 404", async () => {
    const user = await signIn(app, "patch-bad@example.com");
    const bad = await app.request("PATCH", `/api/v1/users/${user.id}`, { name: "x".repeat(201), disabled: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([
      { field: "name", message: "Must be a string of at most 200 characters or null" },
      { field: "disabled", message: "Must be true or false" },
    ]);
    const empty = await app.request("PATCH", `/api/v1/users/${user.id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.details).toEqual([{ field: "body", message: "Must contain name or disabled" }]);
    expect(app.deps.db.select().from(users).where(eq(users.id, user.id)).get()!.name).toBeNull();
    expect((await me(user.token)).status).toBe(200);
    const missing = await app.request("PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000", { disabled: true });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "Not Found", message: "User not found", code: 404 });
  });
});

describe("DELETE /api/v1/users/:id", () => {
  test("204; the session ends, sign-in fails, and the user's traffic sources go with them", async () => {
    const user = await signIn(app, "delete@example.com");
    expect((await app.request("POST", "/traffic-sources", { name: "Checkout" }, { auth: user.auth })).status).toBe(201);
    const res = await app.request("DELETE", `/api/v1/users/${user.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await me(user.token)).status).toBe(401);
    expect((await login("delete@example.com", user.password)).status).toBe(401);
    expect(app.deps.db.select().from(trafficSources).where(eq(trafficSources.ownerId, user.id)).all()).toEqual([]);
    expect((await app.request("DELETE", `/api/v1/users/${user.id}`)).status).toBe(404);
    expect((await app.request("GET", `/api/v1/users/${user.id}`)).status).toBe(404);
  });
});

describe("POST /api/v1/users/:id/password", () => {
  test("without a password one is generated and returned once; the old password and every session stop working", async () => {
    const user = await signIn(app, "reset@example.com");
    const res = await app.request("POST", `/api/v1/users/${user.id}/password`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toEqual(["user", "password", "sessionsEnded"]);
    expect(res.body.data.password).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(res.body.data.sessionsEnded).toBe(1);
    expect(Object.keys(res.body.data.user)).toEqual(USER_KEYS);
    expect((await me(user.token)).status).toBe(401);
    expect((await login("reset@example.com", user.password)).status).toBe(401);
    expect((await login("reset@example.com", res.body.data.password)).status).toBe(200);
    // Only its hash is stored.
    const row = app.deps.db.select().from(users).where(eq(users.id, user.id)).get()!;
    expect(row.passwordHash).not.toContain(res.body.data.password);
    expect((await app.request("GET", `/api/v1/users/${user.id}`)).text).not.toContain(res.body.data.password);
  });

  test("a chosen password is set and not echoed; a short one is a 400 that changes nothing", async () => {
    const user = await signIn(app, "chosen@example.com");
    const short = await app.request("POST", `/api/v1/users/${user.id}/password`, { password: "short" });
    expect(short.status).toBe(400);
    expect(short.body.details).toEqual([{ field: "password", message: "Must be 8 to 256 characters long" }]);
    expect((await me(user.token)).status).toBe(200);
    const res = await app.request("POST", `/api/v1/users/${user.id}/password`, { password: "a brand new password" });
    expect(res.status).toBe(200);
    expect(res.body.data.password).toBeUndefined();
    expect(res.text).not.toContain("a brand new password");
    expect((await me(user.token)).status).toBe(401);
    expect((await login("chosen@example.com", "a brand new password")).status).toBe(200);
  });
});

describe("DELETE /api/v1/users/:id/sessions", () => {
  test("ends every session of that user only", async () => {
    const user = await signIn(app, "revoke@example.com");
    const second = await login("revoke@example.com", user.password);
    const bystander = await signIn(app, "bystander@example.com");
    const res = await app.request("DELETE", `/api/v1/users/${user.id}/sessions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, data: { sessionsEnded: 2 } });
    expect((await me(user.token)).status).toBe(401);
    expect((await me(second.body.token)).status).toBe(401);
    expect((await me(bystander.token)).status).toBe(200);
    // Signing in again works: nothing else was taken away.
    expect((await login("revoke@example.com", user.password)).status).toBe(200);
  });
});

describe("POST /auth/password", () => {
  test("with the current password: 204, the new one works, other sessions end, this one stays", async () => {
    const user = await signIn(app, "self@example.com");
    const other = await login("self@example.com", user.password);
    const res = await app.request("POST", "/auth/password", { currentPassword: user.password, newPassword: "my new long password" }, { auth: user.auth });
    expect(res.status).toBe(204);
    expect((await me(user.token)).status).toBe(200);
    expect((await me(other.body.token)).status).toBe(401);
    expect((await login("self@example.com", user.password)).status).toBe(401);
    expect((await login("self@example.com", "my new long password")).status).toBe(200);
  });

  test("a wrong current password or a short new one is a 400 naming it, and nothing changes", async () => {
    const user = await signIn(app, "self-bad@example.com");
    const wrong = await app.request("POST", "/auth/password", { currentPassword: "not it at all", newPassword: "my new long password" }, { auth: user.auth });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details).toEqual([{ field: "currentPassword", message: "Is not the current password" }]);
    const short = await app.request("POST", "/auth/password", { currentPassword: user.password, newPassword: "short" }, { auth: user.auth });
    expect(short.status).toBe(400);
    expect(short.body.details).toEqual([{ field: "newPassword", message: "Must be 8 to 256 characters long" }]);
    expect((await login("self-bad@example.com", user.password)).status).toBe(200);
  });

  test("needs a session: no token 400, a bad one 401", async () => {
    const body = { currentPassword: PASSWORD, newPassword: "my new long password" };
    expect((await app.request("POST", "/auth/password", body, { auth: "none" })).status).toBe(400);
    expect((await app.request("POST", "/auth/password", body, { auth: { bearer: "hrs_nope" } })).status).toBe(401);
  });
});
