// Sign-in throttling (src/auth/login-rate-limit.ts) over real sockets from distinct loopback
// addresses (127.0.0.x: Linux routes all of 127/8 to lo), so the server sees the real socket
// address of each client: one address cannot lock the owner out, many addresses are held to the
// per-account budget, and two app instances on one database file share the counts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { DEFAULT_LOGIN_LIMITS, throttleAddress } from "../src/auth/login-rate-limit";
import { authRoutes } from "../src/auth/routes";
import { createUser } from "../src/auth/users";
import { closeDatabase, openDatabase } from "../src/db/client";
import { loginAttempts } from "../src/db/schema";
import { jsonBody } from "../src/http/body-parser";
import { errorHandler } from "../src/http/error-handler";
import { createLogger } from "../src/log";
import { createTestApp, type TestApp } from "./helpers/app";
import { SqliteStore } from "../src/db/sqlite/store";

const PASSWORD = "correct horse battery";
let app: TestApp;
let server: { stop(closeActive?: boolean): Promise<void>; port?: number };

beforeAll(() => {
  app = createTestApp();
  const listening = new Elysia()
    .use(errorHandler(createLogger("silent")))
    .use(jsonBody)
    .use(authRoutes(app.deps))
    .listen({ port: 0, hostname: "127.0.0.1" });
  server = listening.server!;
});
afterAll(async () => {
  await server.stop(true);
  app.close();
});

interface Answer {
  status: number;
  retryAfter: number | undefined;
  body: any;
}

/** POST /auth/login over a socket whose local (client) address is `from`. */
function loginFrom(from: string, email: string, password: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: server.port, path: "/auth/login", method: "POST", localAddress: from, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          const header = res.headers["retry-after"];
          resolve({ status: res.statusCode!, retryAfter: header === undefined ? undefined : Number(header), body: JSON.parse(text) });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(JSON.stringify({ email, password }));
  });
}

describe("one address guessing", () => {
  test("is stopped at 5 failures there, and does not lock the owner out from another address", async () => {
    await createUser(app.deps.store.users, { email: "owner@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) expect((await loginFrom("127.0.0.2", "owner@example.com", `guess-${i}`)).status).toBe(401);
    const stopped = await loginFrom("127.0.0.2", "owner@example.com", PASSWORD);
    expect(stopped.status).toBe(429);
    expect(stopped.retryAfter).toBeGreaterThan(0);
    expect(stopped.retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(stopped.body).toEqual({ error: "Too Many Requests", message: `Too many login attempts. Try again in ${stopped.retryAfter} seconds`, code: 429 });
    // The owner, elsewhere, signs in at once.
    const owner = await loginFrom("127.0.0.3", "owner@example.com", PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.body.user.email).toBe("owner@example.com");
  });
});

describe("many addresses guessing", () => {
  test("are held to the per-account budget: past it every attempt waits, from a known address the owner does not", async () => {
    await createUser(app.deps.store.users, { email: "popular@example.com", password: PASSWORD });
    // The owner signs in from 127.0.1.1 first: that address is known from now on.
    expect((await loginFrom("127.0.1.1", "popular@example.com", PASSWORD)).status).toBe(200);
    const budget = DEFAULT_LOGIN_LIMITS.perAccount.free;
    for (let i = 0; i < budget; i++) {
      // One guess per address: no address reaches its own limit.
      expect((await loginFrom(`127.0.2.${i + 1}`, "popular@example.com", `guess-${i}`)).status).toBe(401);
    }
    // Past the budget, a new address waits (a delay, bounded by maxDelayMs, not a lock)…
    const next = await loginFrom("127.0.3.1", "popular@example.com", "another guess");
    expect(next.status).toBe(429);
    expect(next.retryAfter).toBeGreaterThanOrEqual(1);
    expect(next.retryAfter).toBeLessThanOrEqual(DEFAULT_LOGIN_LIMITS.perAccount.maxDelayMs / 1000);
    // …and so does the right password from an address the owner never used,
    expect((await loginFrom("127.0.3.2", "popular@example.com", PASSWORD)).status).toBe(429);
    // while the owner's known address goes straight through.
    expect((await loginFrom("127.0.1.1", "popular@example.com", PASSWORD)).status).toBe(200);
    // Refused attempts are not counted: the account's failures are exactly the guesses made.
    const failures = app.deps.db.select().from(loginAttempts).all().filter((a) => a.email === "popular@example.com" && a.outcome === "failed");
    expect(failures).toHaveLength(budget);
    // Every guess is a real password hash check: bounded generously for a loaded machine.
  }, 30_000);

  test("the delay doubles with every failure past the budget, up to its bound", async () => {
    const { free, firstDelayMs, maxDelayMs } = DEFAULT_LOGIN_LIMITS.perAccount;
    for (const past of [0, 1, 3, 10]) {
      const email = `doubling-${past}@example.com`;
      // `free + past` failures from as many addresses, the last one just now.
      const now = Date.now();
      const rows = Array.from({ length: free + past }, (_, i) => ({ email, address: `192.0.2.${i + 1}`, outcome: "failed" as const, at: now - 1000 + i }));
      rows[rows.length - 1]!.at = now;
      app.deps.db.insert(loginAttempts).values(rows).run();
      const waited = await loginFrom("127.0.4.1", email, "guess");
      expect(waited.status).toBe(429);
      expect(waited.retryAfter).toBe(Math.min(firstDelayMs * 2 ** past, maxDelayMs) / 1000);
    }
  });
});

describe("two app instances over the same file", () => {
  test("share the counts: failures through either one add up", async () => {
    await createUser(app.deps.store.users, { email: "shared@example.com", password: PASSWORD });
    const second = openDatabase(join(app.dir, "test.db"));
    try {
      const other = buildApp({ ...app.deps, db: second, store: new SqliteStore(second) });
      const loginVia = async (instance: ReturnType<typeof buildApp>, password: string) =>
        (
          await instance.handle(
            new Request("http://localhost/auth/login", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ email: "shared@example.com", password }),
            }),
          )
        ).status;
      for (let i = 0; i < 3; i++) expect(await loginVia(app.app, `guess-${i}`)).toBe(401);
      for (let i = 3; i < 5; i++) expect(await loginVia(other, `guess-${i}`)).toBe(401);
      expect(await loginVia(app.app, PASSWORD)).toBe(429);
      expect(await loginVia(other, PASSWORD)).toBe(429);
    } finally {
      closeDatabase(second);
    }
  });
});

describe("addresses counted", () => {
  test("an IPv6 client is counted by its /64; IPv4 (also IPv4-mapped) by its address", () => {
    expect(throttleAddress("2001:db8:1:2::1")).toBe(throttleAddress("2001:db8:1:2:ffff::9"));
    expect(throttleAddress("2001:db8:1:2::1")).not.toBe(throttleAddress("2001:db8:1:3::1"));
    expect(throttleAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(throttleAddress("192.0.2.1")).not.toBe(throttleAddress("192.0.2.2"));
  });
});
