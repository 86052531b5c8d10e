// Secrets never leak: no API key (or its hash), webhook signing secret, password (or its hash),
// session token (or its hash) or Discord bot token appears in any response body or header or in
// any log line, except the signing secret from GET …/secret and the token from POST /auth/login.
// Every route the app serves is called, successes and failures, with a logger capturing lines.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { buildApp } from "../src/app";
import { createApiKey, sha256Hex } from "../src/auth/api-keys";
import { createUser } from "../src/auth/users";
import { createLogger } from "../src/log";
import { ADMIN_KEY, createTestApp, type TestApp } from "./helpers/app";

// Real receivers, argon2 and loaded CI machines: more than bun's 5 s default per test.
setDefaultTimeout(30_000);

const BOT_TOKEN = "bot-token-SECRET-0123456789abcdef";
const PASSWORD = "pa55word-SECRET-xyz";
const SIGNING_SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LVNFQ1JFVC0xMjM0NTY=";

let t: TestApp;
let app: ReturnType<typeof buildApp>;
const logLines: string[] = [];
const seen: { route: string; text: string; allowed: string[] }[] = [];
const secrets = new Map<string, string>();
const ids: Record<string, string> = {};

async function send(method: string, path: string, body: unknown, headers: Record<string, string>, allowed: string[] = []) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await res.text();
  const headerText = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
  seen.push({ route: `${method} ${path}`, text: text + "\n" + headerText, allowed });
  return { status: res.status, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

beforeAll(async () => {
  t = createTestApp({ DISCORD_BOT_TOKEN: BOT_TOKEN, DELIVERY_ALLOW_PRIVATE: "1" });
  app = buildApp({ ...t.deps, logger: createLogger("debug", (line) => logLines.push(line)) });
  const db = t.deps.db;
  const extraKey = (await createApiKey(t.deps.store.apiKeys, { name: "second" })).key;
  const user = await createUser(t.deps.store.users, { email: "secret-owner@example.com", password: PASSWORD });
  const hash = (db.$client.prepare("select password_hash from users where id = ?").pluck().get(user.id) as string);
  secrets.set("admin API key", ADMIN_KEY).set("admin API key hash", sha256Hex(ADMIN_KEY));
  secrets.set("second API key", extraKey).set("second API key hash", sha256Hex(extraKey));
  secrets.set("password", PASSWORD).set("password hash", hash).set("Discord bot token", BOT_TOKEN);
  secrets.set("signing secret", SIGNING_SECRET);
});
afterAll(() => t.close());

test("no route leaks a secret in a response or a log line", async () => {
  const key = { authorization: `Bearer ${ADMIN_KEY}` };
  // Surface A: a webhook with a known secret, and one with a generated secret.
  const created = await send("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/h", events: ["link.created"], secret: SIGNING_SECRET }, key);
  expect(created.status).toBe(201);
  ids.link = created.json.data.id;
  const generated = await send("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/g", events: ["link.clicked"] }, key);
  const generatedSecret = t.deps.db.$client.prepare("select secret from webhooks where id = ?").pluck().get(generated.json.data.id) as string;
  secrets.set("generated signing secret", generatedSecret);
  // An ed25519 webhook: its private key never shows (its public key may).
  const ed25519 = await send("POST", "/api/v1/links/webhooks", { url: "http://127.0.0.1:9/e", events: ["link.clicked"], signature: "ed25519" }, key);
  expect(ed25519.status).toBe(201);
  const ed25519Key = t.deps.db.$client.prepare("select secret from webhooks where id = ?").pluck().get(ed25519.json.data.id) as string;
  expect(ed25519Key).toStartWith("whsk_");
  secrets.set("generated ed25519 key", ed25519Key);
  await send("PATCH", `/api/v1/links/webhooks/${ed25519.json.data.id}`, { signature: "hmac" }, key);
  await send("POST", "/api/v1/links/webhooks", { url: "ftp://x", events: ["link.created"], signature: "ed25519", secret: ed25519Key }, key);

  // Surface B: sign in (the token is allowed in this one response), then use it.
  const login = await send("POST", "/auth/login", { email: "secret-owner@example.com", password: PASSWORD }, {}, ["session token"]);
  expect(login.status).toBe(200);
  const token = login.json.token as string;
  secrets.set("session token", token).set("session token hash", sha256Hex(token));
  seen[seen.length - 1]!.allowed = ["session token"];
  const session = { authorization: `Bearer ${token}` };
  const source = await send("POST", "/traffic-sources", { name: "Checkout" }, session);
  ids.source = source.json.id;
  const hook = await send("POST", `/webhooks/${ids.source}`, { type: "discord", level: "fatal", value: "123456789" }, session);
  ids.alertWebhook = hook.json.id;

  // Every route the app serves, with valid input where we have it; reads and failures alike.
  const bodies: Record<string, unknown> = {
    "POST /api/v1/links/webhooks": { url: "https://example.com/x", events: ["link.created"], secret: "short" },
    "PATCH /api/v1/links/webhooks/:id": { metadata: { note: "patched" } },
    "POST /api/v1/users": { email: "new-user@example.com", password: PASSWORD + "2", name: "New" },
    "POST /traffic-sources": { name: "Search" },
    "POST /traffic-sources/:id/events": { level: "fatal", title: "Down", message: "It is down" },
    "POST /webhooks/:trafficSourceId": { type: "discord", level: "info", value: "987654321" },
    "PATCH /webhooks/:trafficSourceId/:id": { value: "111111111" },
    "POST /api/v1/events": { type: "link.created", data: { a: 1 } },
  };
  const routes = app.routes.filter((r) => r.method !== "WS").sort((a, b) => order(a.method, a.path) - order(b.method, b.path));
  for (const { method, path } of routes) {
    const concrete = path
      .replace(/\/links\/webhooks\/:id/, `/links/webhooks/${ids.link}`)
      .replace(/:trafficSourceId/, ids.source!)
      .replace(/\/traffic-sources\/:id/, `/traffic-sources/${ids.source}`)
      .replace(/\/webhooks\/([^/]+)\/:id/, `/webhooks/$1/${ids.alertWebhook}`)
      .replace(/\*$/, "")
      .replace(/:\w+/g, "unknown-id");
    const headers = path.startsWith("/api/v1/") ? key : path.startsWith("/auth/login") ? {} : session;
    const allowed = path === "/api/v1/links/webhooks/:id/secret" ? ["signing secret", "generated signing secret"] : path === "/auth/login" ? ["session token"] : [];
    const body = bodies[`${method} ${path}`] ?? (method === "POST" || method === "PATCH" ? {} : undefined);
    await send(method, concrete, path === "/auth/login" ? { email: "secret-owner@example.com", password: PASSWORD } : body, headers, allowed);
    // The same route with credentials that fail, and with a body that fails to parse.
    await send(method, concrete, method === "GET" ? undefined : "{not json", { authorization: `Bearer ${ADMIN_KEY.slice(0, -2)}` });
  }
  // Failures that carry a secret in the request must not echo it.
  await send("POST", "/auth/login", { email: "secret-owner@example.com", password: PASSWORD + "-wrong" }, {});
  await send("POST", "/auth/login", { email: 12, password: PASSWORD }, {});
  await send("POST", "/api/v1/links/webhooks", { url: "ftp://x", events: ["link.created"], secret: SIGNING_SECRET }, key);
  await send("PATCH", `/api/v1/links/webhooks/${ids.link}`, { secret: SIGNING_SECRET, events: [] }, key);
  await send("POST", "/api/v1/users", { email: "bad", password: PASSWORD }, key);

  expect(seen.length).toBeGreaterThan(30);
  expect(logLines.length).toBeGreaterThan(30);
  const leaks: string[] = [];
  for (const [name, value] of secrets) {
    for (const r of seen) if (!r.allowed.includes(name) && r.text.includes(value)) leaks.push(`${name} in response to ${r.route}`);
    for (const line of logLines) if (line.includes(value)) leaks.push(`${name} in log line ${line.slice(0, 200)}`);
  }
  expect(leaks).toEqual([]);
  // The allowed places really do carry them (so the check above looks at real text).
  expect(seen.some((r) => r.route.endsWith("/secret") && r.text.includes(SIGNING_SECRET))).toBe(true);
  expect(seen.some((r) => r.route === "POST /auth/login" && r.text.includes(token))).toBe(true);
});

/** Creates and reads first; deletes, logout and rotation last, so later calls still find their targets. */
function order(method: string, path: string): number {
  if (path.includes("logout")) return 4;
  if (method === "DELETE") return 3;
  if (path.includes("rotate")) return 2;
  return method === "GET" ? 0 : 1;
}
