// The console's Deliveries and Events views in a real headless Chromium against the real server:
// a webhook to a local receiver that fails (500) is created and an event published from the
// form; the drawer shows the attempts arriving by auto-refresh, the payload and the next
// attempt; the receiver is fixed, Retry delivers it. Bulk retry, pausing, field errors from a
// 400 beside their fields, keyboard use of the drawer, the phone layout, and a portal session
// that sees only its tenant's deliveries. Screenshots are left in the temp dir.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { collectPageErrors, launchChromium } from "./helpers/chromium";
import { eventually, startWatchSession, WATCH_ADMIN_KEY, type WatchSession } from "./helpers/watch-session";

let s: WatchSession;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let webhookId: string;

beforeAll(async () => {
  s = await startWatchSession("hookrelay-deliveries-");
  context = await launchChromium(s.dir);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  collectPageErrors(page, pageErrors);
}, 30_000);

afterAll(async () => {
  await context?.close();
  await s?.close();
  if (s) {
    rmSync(join(s.dir, "chromium-profile"), { recursive: true, force: true });
    console.log(`deliveries screenshots: ${s.dir}`);
  }
});

/** Runs `trigger` (a click that sends) and waits for the answer it causes; returns its status. */
async function statusAfter(trigger: () => Promise<unknown>): Promise<string | null> {
  const count = () => page.locator("#response-section").evaluate((el) => Number((el as HTMLElement).dataset.responses ?? "0"));
  const before = await count();
  await trigger();
  await page.waitForFunction((n) => Number(document.getElementById("response-section")!.dataset.responses ?? "0") > n, before);
  return page.locator("#response-status").textContent();
}

async function textMatching(selector: string, pattern: RegExp, ms = 15_000): Promise<string> {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source!).test(document.querySelector(sel!)?.textContent ?? ""),
    [selector, pattern.source],
    { timeout: ms },
  );
  return (await page.locator(selector).textContent())!;
}

const activeId = () => page.evaluate(() => document.activeElement?.id ?? "");
const send = () => page.getByRole("button", { name: "Send", exact: true }).click();
/** How many delivery searches the page has sent so far (Resource Timing sees every fetch). */
const searches = () => page.evaluate(() => performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/api/v1/deliveries").length);

test("a field error of a 400 answer is shown beside its field, not only in the JSON", async () => {
  await page.goto(`${s.server.url}/`);
  await page.getByLabel("Bearer token").fill(WATCH_ADMIN_KEY);
  await page.getByLabel("Bearer token").press("Tab");
  await textMatching("#auth-scope", /Platform key/);
  await page.locator("#field-body-url").fill("ftp://example.com/hook");
  expect(await statusAfter(send)).toBe("400 Bad Request");
  const details = JSON.parse((await page.locator("#response-json").textContent())!).details as { field: string; message: string }[];
  const urlDetail = details.find((d) => d.field === "url")!;
  expect(urlDetail).toBeDefined();
  expect(await page.locator("#field-body-url-error").textContent()).toBe(urlDetail.message);
  expect(await page.locator("#field-body-url").getAttribute("aria-invalid")).toBe("true");
  expect(await page.locator("#field-body-events-error").isVisible()).toBe(details.some((d) => d.field.startsWith("events")));
  await page.locator("form#request-form").screenshot({ path: join(s.dir, "chromium-field-errors.png") });
  // Editing the field clears the server's word on it.
  await page.locator("#field-body-url").fill(`http://127.0.0.1:${s.receiver.port}/hooks`);
  expect(await page.locator("#field-body-url-error").isHidden()).toBe(true);
}, 30_000);

test("create → publish to a failing receiver → watch the attempts arrive → fix → retry → delivered", async () => {
  await page.getByRole("checkbox", { name: "link.clicked" }).check();
  expect(await statusAfter(send)).toBe("201 Created");
  webhookId = JSON.parse((await page.locator("#response-json").textContent())!).data.id;

  await page.selectOption("#operation", "publish-event");
  await page.locator("#field-body-type").selectOption("link.clicked");
  await page.locator("#field-body-data").fill('{"order": 42, "note": "from the console"}');
  expect(await statusAfter(send)).toBe("202 Accepted");

  const row = page.locator(`#deliveries-list tr[data-delivery-id]`).first();
  await row.waitFor();
  expect(await row.textContent()).toContain(webhookId);
  const details = row.getByRole("button", { name: /^Details of delivery dlv_/ });
  await details.focus();
  await page.keyboard.press("Enter");
  await page.locator("#drawer[open]").waitFor();
  expect(await activeId()).toBe("drawer-title");

  // The drawer refreshes itself: the retries arrive one by one until the delivery fails.
  await page.waitForFunction(() => document.querySelectorAll("#drawer table.attempts tbody tr").length >= 2, undefined, { timeout: 20_000 });
  const firstAttempt = await page.locator("#drawer table.attempts tbody tr").first().textContent();
  expect(firstAttempt).toContain("HTTP 500");
  expect(firstAttempt).toContain("receiver down");
  expect(firstAttempt).toMatch(/\d+ ms/);
  expect(await page.locator("#drawer pre.payload").textContent()).toContain('"order": 42');
  expect(await page.locator("#drawer pre.payload").textContent()).toContain('"type": "link.clicked"');
  await page.screenshot({ path: join(s.dir, "chromium-drawer-retrying.png") });
  await textMatching('#drawer [data-fact="status"]', /^failed$/, 20_000);
  expect(await page.locator("#drawer table.attempts tbody tr").count()).toBe(3);
  expect(await page.locator('#drawer [data-fact="next-attempt"]').textContent()).toBe("—");

  s.failing.value = false;
  await page.getByRole("button", { name: "Retry now" }).click();
  await textMatching("#drawer-status", /Retry queued/);
  await textMatching('#drawer [data-fact="status"]', /^delivered$/, 20_000);
  const last = await page.locator("#drawer table.attempts tbody tr").last().textContent();
  expect(last).toContain("HTTP 200");
  expect(last).toContain("thanks");
  expect(JSON.parse(s.received.at(-1)!).data).toEqual({ order: 42, note: "from the console" });

  // Delivered: Retry asks first, and Cancel goes back to the button.
  await page.getByRole("button", { name: "Retry now" }).click();
  expect(await page.locator("#drawer .confirm-text").textContent()).toContain("already delivered");
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
  await page.screenshot({ path: join(s.dir, "chromium-drawer-confirm.png") });
  await page.keyboard.press("Enter");
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Retry now");
  // Confirmed, it is sent again (same webhook-id), and focus stays in the drawer.
  const sentBefore = s.received.length;
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Send it again" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#drawer table.attempts tbody tr").length === 5, undefined, { timeout: 20_000 });
  expect(s.received.length).toBe(sentBefore + 1);
  expect(JSON.parse(s.received.at(-1)!).id).toBe(JSON.parse(s.received.at(-2)!).id);
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Retry now");

  // Escape closes the drawer and focus goes back to the row's Details button.
  await page.keyboard.press("Escape");
  await page.locator("#drawer").waitFor({ state: "hidden" });
  await page.waitForFunction(() => /^Details of delivery dlv_/.test(document.activeElement?.getAttribute("aria-label") ?? ""), undefined, { timeout: 5_000 });
  await textMatching("#deliveries-list tbody tr:first-child", /delivered/);
  await page.locator("#deliveries").screenshot({ path: join(s.dir, "chromium-deliveries.png") });
}, 90_000);

test("Retry all failed matching these filters follows has_more and says how many", async () => {
  s.failing.value = true;
  for (const order of [1, 2]) expect((await s.admin("POST", "/api/v1/events", { type: "link.clicked", data: { order } })).status).toBe(202);
  await eventually("two failed deliveries", async () => {
    const res = await s.admin("GET", "/api/v1/deliveries?status=failed");
    return res.body.data.length === 2 ? true : undefined;
  }, 30_000);
  await page.locator("#deliveries-status-filter").selectOption("failed");
  await page.waitForFunction(() => document.querySelectorAll("#deliveries-list tbody tr").length === 2);
  s.failing.value = false;
  await page.getByRole("button", { name: "Retry all failed matching these filters" }).click();
  expect(await textMatching("#deliveries-bulk-status", /^Retried/)).toBe("Retried 2 failed deliveries.");
  await eventually("both delivered", async () => {
    const res = await s.admin("GET", "/api/v1/deliveries?status=delivered");
    return res.body.data.length === 3 ? true : undefined;
  }, 20_000);
  await page.waitForFunction(() => document.querySelectorAll("#deliveries-list tbody tr").length === 0);
  await page.locator("#deliveries-status-filter").selectOption("");
  await page.waitForFunction(() => document.querySelectorAll('#deliveries-list tr[data-status="delivered"]').length === 3);
}, 60_000);

test("auto-refresh can be paused, and waits while the tab is hidden", async () => {
  const pause = page.getByRole("button", { name: "Pause auto-refresh" });
  await pause.click();
  expect(await page.getByRole("button", { name: "Resume auto-refresh" }).getAttribute("aria-pressed")).toBe("true");
  const before = await searches();
  await Bun.sleep(3_500);
  expect(await searches()).toBe(before);
  await page.getByRole("button", { name: "Resume auto-refresh" }).click();
  await page.waitForFunction((n) => performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/api/v1/deliveries").length > n, before, { timeout: 10_000 });

  await page.evaluate(() => Object.defineProperty(document, "hidden", { configurable: true, get: () => true }));
  const hidden = await searches();
  await Bun.sleep(3_500);
  expect(await searches()).toBe(hidden);
  await page.evaluate(() => delete (document as any).hidden);
}, 30_000);

test("the Events view lists events; one shows its exact payload and its deliveries, which open in turn", async () => {
  await page.waitForFunction(() => document.querySelectorAll("#events-list tbody tr").length >= 1);
  await page.locator("#events-filters").getByRole("button", { name: "Search events" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#events-list tbody tr").length === 3);
  await page.locator("#events-type-filter").selectOption("uptime.down");
  await page.waitForFunction(() => document.querySelector("#events-status")?.textContent === "No events match these filters.");
  await page.locator("#events-type-filter").selectOption("link.clicked");
  await page.waitForFunction(() => document.querySelectorAll("#events-list tbody tr").length === 3);
  // The oldest is the one published from the form.
  await page.locator("#events-list tbody tr").last().getByRole("button", { name: /^Details of event/ }).click();
  await page.locator("#drawer[open]").waitFor();
  expect(await page.locator("#drawer pre.payload").textContent()).toContain('"note": "from the console"');
  await page.screenshot({ path: join(s.dir, "chromium-event-drawer.png") });
  await page.locator("#drawer").getByRole("button", { name: /^Details of delivery/ }).click();
  await textMatching('#drawer [data-fact="status"]', /^delivered$/);
  await page.keyboard.press("Escape");
  await page.locator("#drawer").waitFor({ state: "hidden" });
}, 30_000);

test("Load more follows next_cursor; auto-refresh keeps what was loaded", async () => {
  for (let n = 0; n < 27; n++) expect((await s.admin("POST", "/api/v1/events", { type: "link.clicked", data: { n } })).status).toBe(202);
  // 3 earlier deliveries + 27: the first page holds 25.
  await page.waitForFunction(() => document.querySelectorAll("#deliveries-list tbody tr").length === 25);
  expect(await page.locator("#deliveries-more").isVisible()).toBe(true);
  await page.getByRole("button", { name: "Load more deliveries" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#deliveries-list tbody tr").length === 30);
  expect(await page.locator("#deliveries-more").isHidden()).toBe(true);
  // The next auto-refresh redraws the list ("Updated …" changes) with all 30 rows.
  const stamp = await page.locator("#deliveries-refresh-state").textContent();
  await page.waitForFunction((before) => document.querySelector("#deliveries-refresh-state")?.textContent !== before, stamp, { timeout: 10_000 });
  expect(await page.locator("#deliveries-list tbody tr").count()).toBe(30);
}, 30_000);

test("at phone width the views and the drawer fit the screen", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(await overflow()).toBe(0);
  await page.locator("#deliveries-heading").evaluate((el) => el.scrollIntoView());
  await page.screenshot({ path: join(s.dir, "chromium-phone-deliveries.png") });
  await page.locator("#deliveries-list tbody tr").first().getByRole("button", { name: /^Details/ }).click();
  await page.locator("#drawer[open]").waitFor();
  await page.locator("#drawer table.attempts").waitFor();
  const box = await page.locator("#drawer").boundingBox();
  expect(box!.width).toBeLessThanOrEqual(390);
  expect(await page.locator("#drawer .drawer-body").evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
  await page.screenshot({ path: join(s.dir, "chromium-phone-drawer.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(s.dir, "chromium-phone-drawer-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  await page.keyboard.press("Escape");
  await page.setViewportSize({ width: 1280, height: 900 });
  expect(pageErrors).toEqual([]);
  // Everything the views loaded came from the server that serves the page.
  const elsewhere = await page.evaluate((origin) => performance.getEntriesByType("resource").map((e) => e.name).filter((url) => !url.startsWith(`${origin}/`)), s.server.url);
  expect(elsewhere).toEqual([]);
}, 30_000);

test("a portal session sees only its tenant's deliveries and events", async () => {
  for (const id of ["acme-retail", "globex"]) expect((await s.admin("PUT", `/api/v1/tenants/${id}`, { name: id })).status).toBe(201);
  const hooks: Record<string, string> = {};
  for (const tenant of ["acme-retail", "globex"]) {
    const res = await s.admin("POST", "/api/v1/links/webhooks", { url: `http://127.0.0.1:${s.receiver.port}/${tenant}`, events: ["link.clicked"], tenant_id: tenant });
    hooks[tenant] = res.body.data.id;
    for (const n of [1, 2]) expect((await s.admin("POST", "/api/v1/events", { type: "link.clicked", data: { tenant, n }, tenant_id: tenant })).status).toBe(202);
  }
  const link = await s.admin("POST", "/api/v1/tenants/acme-retail/portal", {});
  const portal = await context.newPage();
  portal.setDefaultTimeout(15_000);
  collectPageErrors(portal, pageErrors);
  await portal.goto(link.body.data.url);
  await portal.waitForFunction(() => document.body.dataset.portal === "signed-in");
  await portal.waitForFunction(() => document.querySelectorAll("#deliveries-list tbody tr").length === 2);
  const shown = await portal.locator("#deliveries-list tbody tr").allTextContents();
  for (const text of shown) expect(text).toContain(hooks["acme-retail"]!);
  expect(shown.join(" ")).not.toContain(hooks.globex!);
  expect(shown.join(" ")).not.toContain(webhookId);
  await portal.waitForFunction(() => document.querySelectorAll("#events-list tbody tr").length === 2);
  await portal.locator("#deliveries-list tbody tr").first().getByRole("button", { name: /^Details/ }).click();
  await portal.locator("#drawer pre.payload").waitFor();
  expect(await portal.locator("#drawer pre.payload").textContent()).toContain('"tenant": "acme-retail"');
  await portal.screenshot({ path: join(s.dir, "chromium-portal-drawer.png") });
  await portal.keyboard.press("Escape");
  // A globex delivery is not this tenant's to open.
  const globexDelivery = (await s.admin("GET", "/api/v1/deliveries?tenant_id=globex")).body.data[0].id;
  const status = await portal.evaluate(async (id) => {
    const token = sessionStorage.getItem("hookrelay.console.portal");
    return (await fetch(`/api/v1/deliveries/${id}`, { headers: { authorization: `Bearer ${token}` } })).status;
  }, globexDelivery);
  expect(status).toBe(404);
  await portal.close();
  expect(pageErrors).toEqual([]);
}, 60_000);
