// Users and sign-in (docs/api-guide.md, surface B): admin user creation, login, session tokens, rate limits.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { eq } from "drizzle-orm";
import { sha256Hex } from "../src/auth/api-keys";
import { DEFAULT_LOGIN_LIMITS } from "../src/auth/login-rate-limit";
import { authRoutes } from "../src/auth/routes";
import { SESSION_TTL_MS } from "../src/auth/sessions";
import { createUser } from "../src/auth/users";
import { sessions, users } from "../src/db/schema";
import { errorHandler } from "../src/http/error-handler";
import { jsonBody } from "../src/http/body-parser";
import { createLogger } from "../src/log";
import { createTestApp, type TestApp } from "./helpers/app";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery";
let app: TestApp;

beforeAll(() => {
  app = createTestApp();
});
afterAll(() => app.close());

const login = (email: string, password: string) => app.request("POST", "/auth/login", { email, password }, { auth: "none" });

describe("POST /api/v1/users", () => {
  test("201 with the user, email lower-cased, password stored only as an argon2id hash", async () => {
    const res = await app.request("POST", "/api/v1/users", { email: " Admin@Example.COM ", password: PASSWORD, name: "Ops" });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body.data)).toEqual(["id", "email", "name", "createdAt", "updatedAt", "disabledAt"]);
    expect(res.body.data.disabledAt).toBeNull();
    expect(res.body.data.id).toMatch(UUID);
    expect(res.body.data.email).toBe("admin@example.com");
    expect(res.body.data.name).toBe("Ops");
    expect(res.body.data.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.text).not.toContain(PASSWORD);
    const row = app.deps.db.select().from(users).where(eq(users.id, res.body.data.id)).get()!;
    expect(row.passwordHash).toStartWith("$argon2id$");
    expect(await Bun.password.verify(PASSWORD, row.passwordHash)).toBe(true);
  });

  test("409 for an email that exists, whatever its case", async () => {
    const res = await app.request("POST", "/api/v1/users", { email: "ADMIN@example.com", password: PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: "Conflict", message: "A user with this email already exists", code: 409 });
  });

  test("400 names each bad field and stores nothing", async () => {
    const before = app.deps.db.select().from(users).all().length;
    const res = await app.request("POST", "/api/v1/users", { email: "not-an-email", password: "short" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "Bad Request",
      message: "The request contains invalid parameters or malformed data",
      code: 400,
      details: [
        { field: "email", message: "Invalid email format" },
        { field: "password", message: "Must be 8 to 256 characters long" },
      ],
    });
    const missing = await app.request("POST", "/api/v1/users", { email: "x@example.com" });
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([{ field: "password", message: "Is required" }]);
    expect(app.deps.db.select().from(users).all().length).toBe(before);
  });

  test("401 without an API key; a session token is not an API key", async () => {
    const res = await app.request("POST", "/api/v1/users", { email: "x@example.com", password: PASSWORD }, { auth: "none" });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "Unauthorized", message: "Authentication required. Please provide a valid API token", code: 401 });
    const session = await login("admin@example.com", PASSWORD);
    expect(session.status).toBe(200);
    const withSession = await app.request("POST", "/api/v1/users", { email: "x@example.com", password: PASSWORD }, { auth: { bearer: session.body.token } });
    expect(withSession.status).toBe(401);
  });

  test("createUser, the function the CLI calls, validates like the route", async () => {
    const user = await createUser(app.deps.store.users, { email: "cli@example.com", password: PASSWORD });
    expect(user).toMatchObject({ email: "cli@example.com", name: null });
    await expect(createUser(app.deps.store.users, { email: "cli@example.com", password: PASSWORD })).rejects.toMatchObject({ status: 409 });
    await expect(createUser(app.deps.store.users, { email: "x@example.com", password: "1234567" })).rejects.toMatchObject({ status: 400 });
  });
});

describe("POST /auth/login", () => {
  test("200 {token, expiresAt, user}; the token is stored only as its SHA-256 and expires in 24 h", async () => {
    const before = Date.now();
    const res = await login("Admin@Example.com", PASSWORD);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["token", "expiresAt", "user"]);
    expect(res.body.user.email).toBe("admin@example.com");
    expect(res.body.token).toMatch(/^hrs_[0-9A-Za-z]{43}$/);
    const expires = Date.parse(res.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + SESSION_TTL_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + SESSION_TTL_MS);
    const rows = app.deps.db.select().from(sessions).where(eq(sessions.userId, res.body.user.id)).all();
    expect(rows.map((r) => r.tokenHash)).toContain(sha256Hex(res.body.token));
    expect(JSON.stringify(rows)).not.toContain(res.body.token);

    const me = await app.request("GET", "/auth/me", undefined, { auth: { bearer: res.body.token } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  test("a wrong password and an unknown email get the same 401", async () => {
    const wrong = await login("admin@example.com", "not the password");
    const unknown = await login("nobody@example.com", "not the password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: "Unauthorized", message: "Invalid email or password", code: 401 });
    expect(unknown.text).toBe(wrong.text);
  });

  test("400 for a body without email or password", async () => {
    const res = await app.request("POST", "/auth/login", { email: "admin@example.com" }, { auth: "none" });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: "password", message: "Is required" }]);
  });

  test("an expired token is refused with 401", async () => {
    const res = await login("admin@example.com", PASSWORD);
    const auth = { bearer: res.body.token };
    expect((await app.request("GET", "/auth/me", undefined, { auth })).status).toBe(200);
    app.deps.db.update(sessions).set({ expiresAt: Date.now() - 1 }).where(eq(sessions.tokenHash, sha256Hex(res.body.token))).run();
    const expired = await app.request("GET", "/auth/me", undefined, { auth });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      error: "Unauthorized",
      message: "The authentication token is invalid or has expired. Sign in again with POST /auth/login",
      code: 401,
    });
    // The next login clears expired sessions out of the table.
    expect((await login("admin@example.com", PASSWORD)).status).toBe(200);
    expect(app.deps.db.select().from(sessions).where(eq(sessions.tokenHash, sha256Hex(res.body.token))).get()).toBeUndefined();
  });

  test("logout ends the session at once", async () => {
    const res = await login("admin@example.com", PASSWORD);
    const auth = { bearer: res.body.token };
    const out = await app.request("POST", "/auth/logout", undefined, { auth });
    expect(out.status).toBe(204);
    expect(out.text).toBe("");
    expect((await app.request("GET", "/auth/me", undefined, { auth })).status).toBe(401);
  });

  test("5 failures for one email from one address in 15 minutes: 429 with Retry-After there, even with the right password", async () => {
    await createUser(app.deps.store.users, { email: "target@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) expect((await login("target@example.com", `guess-${i}`)).status).toBe(401);
    const limited = await login("TARGET@example.com", PASSWORD);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.body).toEqual({
      error: "Too Many Requests",
      message: `Too many login attempts. Try again in ${retryAfter} seconds`,
      code: 429,
    });
    // Other accounts are not locked by it.
    expect((await login("admin@example.com", PASSWORD)).status).toBe(200);
  });
});

describe("concurrent guesses", () => {
  test("a burst for one email cannot all slip past the limit: 5 are checked, the rest get 429", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => login("burst@example.com", `guess-${i}`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });
});

describe("per-IP login limit (real HTTP, socket address)", () => {
  test("all attempts from one IP count, across emails; over the limit 429", async () => {
    const limits = { ...DEFAULT_LOGIN_LIMITS, perAddress: { max: 3, windowMs: 60_000 } };
    const server = new Elysia()
      .use(errorHandler(createLogger("silent")))
      .use(jsonBody)
      .use(authRoutes(app.deps, limits))
      .listen({ port: 0, hostname: "127.0.0.1" });
    try {
      const post = (email: string) =>
        fetch(`http://127.0.0.1:${server.server!.port}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "wrong password" }),
        });
      for (const email of ["a@example.com", "b@example.com", "c@example.com"]) expect((await post(email)).status).toBe(401);
      const limited = await post("d@example.com");
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await limited.json()).code).toBe(429);
    } finally {
      await server.stop(true);
    }
  });
});
