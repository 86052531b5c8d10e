// The portal link in a real headless Chromium against the real server: an operator makes a
// link for one tenant; opened, the console is signed in as that tenant only (its webhooks,
// no publishing, no tenant or key operations), the token is gone from the address bar and
// from the history entry, the customer rotates a secret and sends a test event; a revoked
// or expired link shows a clear full page. Screenshots are left in the temp dir for a human to look at.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { loadConfig } from "../src/config";
import { startServer, type RunningServer } from "../src/server";
import { tempDir } from "./helpers/app";
import { collectPageErrors, launchChromium } from "./helpers/chromium";

const ADMIN_KEY = "console-portal-admin-key-0123456789";
const EXPIRED_TITLE = "This link has expired or was revoked — ask for a new one";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let dir: string;
let server: RunningServer;
let receiver: ReturnType<typeof Bun.serve>;
let context: BrowserContext;
const pageErrors: string[] = [];
const received: { type: string; webhookId?: string }[] = [];
let acmeHook: string;
let globexHook: string;
let defaultHook: string;
let portal: Page;
let portalUrl: string;
let portalToken: string;

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function createWebhook(tenantId: string | undefined, path: string): Promise<string> {
  const body = { url: `http://127.0.0.1:${receiver.port}/${path}`, events: ["link.clicked"], ...(tenantId ? { tenant_id: tenantId } : {}) };
  const res = await admin("POST", "/api/v1/links/webhooks", body);
  expect(res.status).toBe(201);
  return res.body.data.id;
}

async function portalLink(tenantId: string): Promise<string> {
  const res = await admin("POST", `/api/v1/tenants/${tenantId}/portal`, {});
  expect(res.status).toBe(201);
  return res.body.data.url;
}

async function openPage(): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  collectPageErrors(page, pageErrors);
  return page;
}

beforeAll(async () => {
  dir = tempDir("hookrelay-portal-");
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const event = (await request.json()) as { type: string; data?: { webhook_id?: string } };
      received.push({ type: event.type, webhookId: event.data?.webhook_id });
      return new Response("ok");
    },
  });
  server = await startServer(
    loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_PATH: join(dir, "portal.db"),
      ADMIN_API_KEY: ADMIN_KEY,
      DELIVERY_ALLOW_PRIVATE: "1",
      LOG_LEVEL: "silent",
    }),
  );
  context = await launchChromium(dir);

  expect((await admin("PUT", "/api/v1/tenants/acme-retail", { name: "Acme Retail" })).status).toBe(201);
  expect((await admin("PUT", "/api/v1/tenants/globex", { name: "Globex" })).status).toBe(201);
  acmeHook = await createWebhook("acme-retail", "acme");
  globexHook = await createWebhook("globex", "globex");
  defaultHook = await createWebhook(undefined, "default");
}, 30_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  receiver?.stop(true);
  if (dir) {
    rmSync(join(dir, "chromium-profile"), { recursive: true, force: true });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir, `portal.db${suffix}`), { force: true });
    console.log(`portal screenshots: ${dir}`);
  }
});

const card = (page: Page, id: string) => page.locator(`li[data-webhook-id="${id}"]`);

/** Waits until an element's text matches, instead of reading it once before an answer lands. */
async function textMatching(page: Page, selector: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source!).test(document.querySelector(sel!)?.textContent ?? ""),
    [selector, pattern.source],
  );
  return (await page.locator(selector).textContent())!;
}

test("the platform console makes a portal link for the picked tenant and offers to open it", async () => {
  const page = await openPage();
  await page.goto(`${server.url}/`);
  // The server's word on the key is shown under Authentication.
  await page.getByLabel("Bearer token").fill("not-a-key");
  await page.getByLabel("Bearer token").press("Tab");
  expect(await textMatching(page, "#auth-scope", /refused/)).toBe("The server refused this key (unknown, expired or revoked).");
  expect(await page.locator("#tenant-group").isHidden()).toBe(true);
  await page.getByLabel("Bearer token").fill(ADMIN_KEY);
  await page.getByLabel("Bearer token").press("Tab");
  expect(await textMatching(page, "#auth-scope", /^Platform key/)).toBe("Platform key: acts on every tenant (pick one below).");
  const picker = page.getByLabel("Acting on tenant");
  await picker.waitFor();
  await page.waitForFunction(() => (document.getElementById("tenant") as HTMLSelectElement).options.length === 3);
  expect(await picker.inputValue()).toBe("default");
  expect(await page.locator("#tenant option").allTextContents()).toEqual(["Default tenant (default)", "Acme Retail (acme-retail)", "Globex (globex)"]);
  await card(page, defaultHook).waitFor();

  // Picking a tenant scopes the list and the create request.
  await picker.selectOption("acme-retail");
  await card(page, acmeHook).waitFor();
  expect(await page.locator("li[data-webhook-id]").count()).toBe(1);
  expect(await page.locator("#snippet-code").textContent()).toContain('"tenant_id": "acme-retail"');

  await page.selectOption("#operation", "create-portal-link");
  expect(await page.getByRole("textbox", { name: "id", exact: true }).inputValue()).toBe("acme-retail");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const open = page.getByRole("link", { name: "Open the portal link in a new tab" });
  await open.waitFor();
  expect(await open.getAttribute("href")).toMatch(new RegExp(`^${server.url}/#portal=hrp_[A-Za-z0-9]+$`));
  expect(await open.getAttribute("rel")).toContain("noopener");
  await page.screenshot({ path: join(dir, "platform-portal-link.png"), fullPage: true });
  await page.close();
}, 30_000);

test("a portal link signs in as the tenant, and the token leaves the URL and the history", async () => {
  portalUrl = await portalLink("acme-retail");
  const token = new URL(portalUrl).hash.slice("#portal=".length);
  portalToken = token;
  expect(portalUrl).toBe(`${server.url}/#portal=${token}`);

  portal = await openPage();
  // A page before it, so the portal's own history entry can be visited again with Back/Forward.
  await portal.goto(`${server.url}/?before=portal`);
  await portal.goto(portalUrl);
  await portal.waitForSelector("body[data-portal=signed-in]");
  expect(await portal.evaluate(() => location.hash)).toBe("");
  expect(await portal.evaluate(() => location.href)).toBe(`${server.url}/`);
  expect(await portal.evaluate(() => sessionStorage.getItem("hookrelay.console.portal"))).toBe(token);
  expect(await portal.evaluate(() => Object.keys(localStorage))).toEqual([]);

  // The history entry itself was rewritten: going back and forth returns to the bare URL.
  await portal.goBack();
  expect(portal.url()).toBe(`${server.url}/?before=portal`);
  await portal.goForward();
  expect(portal.url()).toBe(`${server.url}/`);
  await portal.waitForSelector("body[data-portal=signed-in]");

  expect(await portal.locator(".site-header h1").textContent()).toContain("customer portal");
  expect(await portal.locator("#portal-tenant-name").textContent()).toBe("Acme Retail");
  expect(await portal.locator("#portal-tenant-id").textContent()).toBe("acme-retail");
  expect(await portal.locator("#portal-expiry").textContent()).toMatch(/^This link works until /);
  expect(await portal.title()).toContain("Acme Retail");

  // Only this tenant's webhook, and no key fields or tenant picker.
  await card(portal, acmeHook).waitFor();
  expect(await textMatching(portal, "#webhooks-status", /^1 webhook\.$/)).toBe("1 webhook.");
  expect(await portal.locator("li[data-webhook-id]").count()).toBe(1);
  expect(await card(portal, globexHook).count()).toBe(0);
  expect(await card(portal, defaultHook).count()).toBe(0);
  expect(await portal.locator("#auth-group").isHidden()).toBe(true);
  expect(await portal.locator("#tenant-group").isHidden()).toBe(true);

  // What a tenant may do, and nothing else: no publish, tenants, keys, users or traffic sources.
  const offered = await portal.locator("#operation option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
  expect(offered).toEqual([
    "create-webhook", "list-webhooks", "get-webhook", "update-webhook", "delete-webhook", "webhook-secret", "rotate-secret", "test-webhook",
    "list-deliveries", "get-delivery", "retry-delivery", "recover-deliveries", "search-deliveries", "retry-deliveries",
    "list-events", "get-event", "event-types", "current-api-key",
  ]);
  expect(await portal.locator("#operation optgroup").evaluateAll((groups) => groups.map((g) => (g as HTMLOptGroupElement).label))).toEqual(["Link webhooks", "Deliveries", "Events", "API keys"]);

  // The preview never shows the sign-in token; requests carry it.
  const preview = (await portal.locator("#snippet-code").textContent())!;
  expect(preview).toContain("Authorization: Bearer YOUR_API_TOKEN");
  expect(preview).not.toContain(token);
  expect(preview).not.toContain("tenant_id");
  expect(await portal.locator("body").innerText()).not.toContain(token);
  await portal.screenshot({ path: join(dir, "portal-desktop.png"), fullPage: true });
}, 30_000);

test("in the portal: create a webhook, rotate a secret by keyboard, send a test event, edit, disable, delete", async () => {
  // Created with the form: it lands in the portal's tenant without naming it.
  await portal.getByLabel("url", { exact: false }).first().fill(`http://127.0.0.1:${receiver.port}/acme-second`);
  await portal.getByRole("checkbox", { name: "uptime.down" }).check();
  await portal.getByRole("button", { name: "Send", exact: true }).click();
  expect(await textMatching(portal, "#response-status", /^201/)).toBe("201 Created");
  const created = JSON.parse((await portal.locator("#response-json").textContent())!).data.id as string;
  expect((await admin("GET", `/api/v1/links/webhooks/${created}`)).body.data.tenant_id).toBe("acme-retail");
  await card(portal, created).waitFor();

  const before = (await admin("GET", `/api/v1/links/webhooks/${acmeHook}/secret`)).body.data.secret as string;
  const rotate = card(portal, acmeHook).getByRole("button", { name: /^Rotate the signing secret of/ });
  await rotate.focus();
  await portal.keyboard.press("Enter");
  await textMatching(portal, `li[data-webhook-id="${acmeHook}"] .card-status`, /^Secret rotated/);
  const after = (await admin("GET", `/api/v1/links/webhooks/${acmeHook}/secret`)).body.data.secret as string;
  expect(after).not.toBe(before);
  expect(await card(portal, acmeHook).locator("code.secret").textContent()).toBe(after);
  expect(await card(portal, acmeHook).locator(".secret-box").textContent()).toContain("The previous secret also signs until");
  await card(portal, acmeHook).screenshot({ path: join(dir, "portal-secret.png") });
  await card(portal, acmeHook).getByRole("button", { name: "Hide secret" }).click();
  expect(await card(portal, acmeHook).locator("code.secret").count()).toBe(0);

  await card(portal, acmeHook).getByRole("button", { name: /^Send a test event to/ }).click();
  const sent = await textMatching(portal, `li[data-webhook-id="${acmeHook}"] .card-status`, /^Test event sent: delivery dlv_/);
  const deliveryId = /(dlv_[A-Za-z0-9]+)/.exec(sent)![1]!;
  const deadline = Date.now() + 10_000;
  while (!received.some((r) => r.type === "webhook.test" && r.webhookId === acmeHook) && Date.now() < deadline) await Bun.sleep(50);
  expect(received.filter((r) => r.type === "webhook.test").map((r) => r.webhookId)).toEqual([acmeHook]);
  // The delivery shows in the card's log (the view reloads it), with a Retry button.
  await portal.getByRole("button", { name: "Refresh", exact: true }).click();
  await card(portal, acmeHook).getByRole("button", { name: `Retry delivery ${deliveryId}` }).waitFor();

  // Edit: the update form, filled with the webhook as it is, the url field focused.
  await card(portal, created).getByRole("button", { name: /^Edit / }).click();
  expect(await portal.locator("#operation").inputValue()).toBe("update-webhook");
  const url = portal.getByRole("textbox", { name: "url" });
  expect(await url.inputValue()).toBe(`http://127.0.0.1:${receiver.port}/acme-second`);
  expect(await url.evaluate((el) => el === document.activeElement)).toBe(true);
  expect(await portal.getByRole("checkbox", { name: "uptime.down" }).isChecked()).toBe(true);
  await portal.getByRole("checkbox", { name: "uptime.up" }).check();
  await portal.getByRole("button", { name: "Send", exact: true }).click();
  expect(await textMatching(portal, "#response-status", /^200/)).toBe("200 OK");
  expect((await admin("GET", `/api/v1/links/webhooks/${created}`)).body.data.events).toEqual(["uptime.down", "uptime.up"]);

  await card(portal, created).getByRole("button", { name: /^Disable / }).click();
  await textMatching(portal, "#webhooks-status", /^Disabled /);
  expect((await admin("GET", `/api/v1/links/webhooks/${created}`)).body.data.active).toBe(false);
  await card(portal, created).getByRole("button", { name: /^Delete / }).click();
  await card(portal, created).getByRole("button", { name: /^Confirm: delete/ }).click();
  await textMatching(portal, "#webhooks-status", /^Deleted /);
  expect((await admin("GET", `/api/v1/links/webhooks/${created}`)).status).toBe(404);

  await portal.setViewportSize(PHONE);
  const overflow = await portal.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
  await portal.screenshot({ path: join(dir, "portal-phone.png"), fullPage: true });
  await portal.evaluate(() => scrollTo(0, 0));
  await portal.screenshot({ path: join(dir, "portal-phone-top.png") });
  await portal.locator(".webhooks").screenshot({ path: join(dir, "portal-phone-webhooks.png") });
  await portal.setViewportSize(DESKTOP);
  await portal.emulateMedia({ colorScheme: "dark" });
  await portal.evaluate(() => scrollTo(0, 0));
  await portal.screenshot({ path: join(dir, "portal-dark.png") });
  await portal.emulateMedia({ colorScheme: "light" });
}, 30_000);

test("a revoked link opens on a clear full page, and revoking ends an open session", async () => {
  const revokedUrl = await portalLink("acme-retail");
  const keys = await admin("GET", "/api/v1/api-keys?tenant_id=acme-retail&kind=portal");
  const newest = keys.body.data[0];
  expect(newest.kind).toBe("portal");
  expect((await admin("DELETE", `/api/v1/api-keys/${newest.id}`)).status).toBe(200);

  const page = await openPage();
  await page.goto(revokedUrl);
  await page.waitForSelector("body[data-portal=expired]");
  expect(await page.evaluate(() => location.hash)).toBe("");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(EXPIRED_TITLE);
  expect(await page.locator("main").isHidden()).toBe(true);
  expect(await page.locator(".site-header").isHidden()).toBe(true);
  expect(await page.locator("#ended-heading").evaluate((el) => el === document.activeElement)).toBe(true);
  await page.screenshot({ path: join(dir, "portal-expired.png"), fullPage: true });
  await page.setViewportSize(PHONE);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
  await page.screenshot({ path: join(dir, "portal-expired-phone.png"), fullPage: true });
  await page.close();

  // A link whose time is up (set in the database: the shortest link lasts a minute).
  const lapsedUrl = await portalLink("acme-retail");
  const lapsed = (await admin("GET", "/api/v1/api-keys?tenant_id=acme-retail&kind=portal")).body.data[0];
  const db = new Database(join(dir, "portal.db"));
  db.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").run(Date.now() - 1000, lapsed.id);
  db.close();
  const lapsedPage = await openPage();
  await lapsedPage.goto(lapsedUrl);
  await lapsedPage.waitForSelector("body[data-portal=expired]");
  expect(await lapsedPage.getByRole("heading", { level: 1 }).textContent()).toBe(EXPIRED_TITLE);
  await lapsedPage.close();

  // The session opened earlier: its link is revoked, and the next request ends it.
  const current = await fetch(`${server.url}/api/v1/api-keys/current`, { headers: { authorization: `Bearer ${portalToken}` } }).then((r) => r.json());
  expect((await admin("DELETE", `/api/v1/api-keys/${current.data.key_id}`)).status).toBe(200);
  await portal.getByRole("button", { name: "Refresh", exact: true }).click();
  await portal.waitForSelector("body[data-portal=expired]");
  expect(await portal.getByRole("heading", { level: 1 }).textContent()).toBe(EXPIRED_TITLE);
}, 30_000);

test("a server that does not answer as expected gives a page with Try again, not a broken console", async () => {
  const page = await openPage();
  await page.route("**/api/v1/api-keys/current", (route) =>
    route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: "Service Unavailable", message: "The database is busy", code: 503 }) }),
  );
  await page.goto(await portalLink("globex"));
  await page.waitForSelector("body[data-portal=unreachable]");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("The customer portal could not load");
  expect(await page.locator("#ended-text").textContent()).toContain("The database is busy");
  await page.unroute("**/api/v1/api-keys/current");
  await page.getByRole("button", { name: "Try again" }).click();
  await page.waitForSelector("body[data-portal=signed-in]");
  expect(await page.locator("#portal-tenant-name").textContent()).toBe("Globex");
  await page.close();
}, 20_000);

test("signing out forgets the token", async () => {
  const page = await openPage();
  await page.goto(await portalLink("globex"));
  await page.waitForSelector("body[data-portal=signed-in]");
  await card(page, globexHook).waitFor();
  expect(await page.locator("#portal-tenant-name").textContent()).toBe("Globex");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForSelector("body[data-portal=signed-out]");
  expect(await page.evaluate(() => sessionStorage.getItem("hookrelay.console.portal"))).toBeNull();
  // Reloaded, it is the plain console asking for a key.
  await page.reload();
  await page.getByLabel("Bearer token").waitFor();
  expect(await page.locator("#webhooks-status").textContent()).toContain("Enter an API key");

  // A link pasted into a tab that already shows the console only changes the fragment: the
  // page still takes the token and signs in.
  const link = await portalLink("globex");
  await page.evaluate((hash) => (location.hash = hash), new URL(link).hash);
  await page.waitForSelector("body[data-portal=signed-in]");
  expect(await page.evaluate(() => location.hash)).toBe("");
  expect(await page.locator("#portal-tenant-name").textContent()).toBe("Globex");
  expect(pageErrors).toEqual([]);
}, 20_000);
