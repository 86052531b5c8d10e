// The console in a real headless Chromium (Debian's, driven by playwright-core) against the
// real server: build a create request in the form, check the preview, send it, and find the
// new webhook in the list. Screenshots are left in the temp dir for a human to look at.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { snippet } from "../public/js/snippets.js";
import { loadConfig } from "../src/config";
import { startServer, type RunningServer } from "../src/server";
import { tempDir } from "./helpers/app";
import { collectPageErrors, launchChromium } from "./helpers/chromium";

const ADMIN_KEY = "console-e2e-admin-key-0123456789";
const PLACEHOLDER = "Response will appear here after sending the request";

let dir: string;
let server: RunningServer;
let receiver: ReturnType<typeof Bun.serve>;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = tempDir("hookrelay-console-");
  // Answers 500 so that, where the delivery engine runs, a delivery exists to retry.
  receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("no", { status: 500 }) });
  server = await startServer(
    loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_PATH: join(dir, "console.db"),
      ADMIN_API_KEY: ADMIN_KEY,
      DELIVERY_ALLOW_PRIVATE: "1",
      DELIVERY_RETRY_SCHEDULE: "",
      LOG_LEVEL: "silent",
    }),
  );
  context = await launchChromium(dir);
  // Every URL the page loads, recorded by the page itself (Resource Timing sees each fetch,
  // script, style and image; the CSP reports anything it blocked). Playwright's own request
  // events are not used: under Bun they occasionally arrive out of order and break the run.
  await context.addInitScript(() => {
    const seen: string[] = JSON.parse(sessionStorage.getItem("console-test-urls") ?? "[]");
    const save = () => sessionStorage.setItem("console-test-urls", JSON.stringify(seen));
    seen.push(location.href);
    save();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) seen.push(entry.name);
      save();
    }).observe({ type: "resource", buffered: true });
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(`blocked by CSP: ${event.blockedURI}`);
      save();
    });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  collectPageErrors(page, pageErrors);
}, 30_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  receiver?.stop(true);
  // The screenshots stay for a human to look at; the browser profile and database go.
  if (dir) {
    rmSync(join(dir, "chromium-profile"), { recursive: true, force: true });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir, `console.db${suffix}`), { force: true });
    console.log(`console screenshots: ${dir}`);
  }
});

const previewText = () => page.locator("#snippet-code").textContent();

/** Runs `trigger` (a click or key press that sends) and waits for the answer it causes. */
async function statusAfter(trigger: () => Promise<unknown>): Promise<string | null> {
  const count = () => page.locator("#response-section").evaluate((el) => Number((el as HTMLElement).dataset.responses ?? "0"));
  const before = await count();
  await trigger();
  await page.waitForFunction(
    (n) => Number(document.getElementById("response-section")!.dataset.responses ?? "0") > n,
    before,
  );
  return page.locator("#response-status").textContent();
}

/** Waits until an element's text matches, instead of reading it once before an answer lands. */
async function textMatching(selector: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source!).test(document.querySelector(sel!)?.textContent ?? ""),
    [selector, pattern.source],
  );
  return (await page.locator(selector).textContent())!;
}

test("create a webhook from the console and see it in the list", async () => {
  await page.goto(`${server.url}/`);
  expect(await page.locator("#response-body").innerText()).toBe(PLACEHOLDER);
  expect(await page.locator("#operation").inputValue()).toBe("create-webhook");

  // The key stays out of local storage until "remember" is ticked.
  await page.getByLabel("Bearer token").fill(ADMIN_KEY);
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);

  const target = `http://127.0.0.1:${receiver.port}/hooks`;
  // Typed key by key: the preview follows every keystroke.
  await page.getByLabel("url", { exact: false }).first().pressSequentially(target);
  expect(await previewText()).toContain(`"url": "${target}"`);
  await page.getByRole("checkbox", { name: "uptime.down" }).check();
  await page.getByRole("checkbox", { name: "link.clicked" }).check();
  await page.getByLabel("secret").fill("example_string");

  const metadata = page.getByLabel("metadata");
  await metadata.fill('{"team": "growth"');
  expect(await textMatching("#field-body-metadata-error", /Invalid JSON/)).toContain("Invalid JSON");
  expect(await metadata.getAttribute("aria-invalid")).toBe("true");
  expect(await previewText()).not.toContain("metadata");
  await metadata.fill('{"team": "growth"}');
  expect(await page.locator("#field-body-metadata-error").isHidden()).toBe(true);

  const body = { url: target, events: ["link.clicked", "uptime.down"], secret: "example_string", metadata: { team: "growth" } };
  const expected = {
    method: "POST",
    url: `${server.url}/api/v1/links/webhooks`,
    headers: [["Content-Type", "application/json"], ["Authorization", `Bearer ${ADMIN_KEY}`]] as [string, string][],
    body,
  };
  expect(await previewText()).toBe(snippet("curl", expected));

  // Tabs by keyboard: ArrowRight moves from cURL to Python.
  await page.getByRole("tab", { name: "cURL" }).focus();
  await page.keyboard.press("ArrowRight");
  expect(await page.getByRole("tab", { name: "Python" }).getAttribute("aria-selected")).toBe("true");
  expect(await previewText()).toBe(snippet("python", expected));
  await page.keyboard.press("End");
  expect(await previewText()).toBe(snippet("ruby", expected));
  await page.getByRole("tab", { name: "cURL" }).click();

  await page.screenshot({ path: join(dir, "console-filled.png"), fullPage: true });
  expect(await statusAfter(() => page.getByRole("button", { name: "Send", exact: true }).click())).toBe("201 Created");
  expect(await page.locator("#response-time").textContent()).toMatch(/^\d+ ms$/);
  const shown = JSON.parse((await page.locator("#response-json").textContent())!);
  expect(shown.success).toBe(true);
  expect(shown.data.id).toMatch(/^whk_[A-Za-z0-9]{8,}$/);
  expect(shown.data).toMatchObject({ url: target, events: ["link.clicked", "uptime.down"], active: true, metadata: { team: "growth" } });
  expect(await page.locator("details.headers").textContent()).toContain("application/json");

  // Stored for real: the API returns it.
  const stored = await fetch(`${server.url}/api/v1/links/webhooks/${shown.data.id}`, { headers: { "x-api-key": ADMIN_KEY } });
  expect(stored.status).toBe(200);

  const card = page.locator(`li[data-webhook-id="${shown.data.id}"]`);
  await card.waitFor();
  expect(await card.locator("code.url").textContent()).toBe(target);
  expect(await card.locator(".chip").allTextContents()).toEqual(["link.clicked", "uptime.down"]);
  // The delivery log either lists deliveries or, before the delivery engine lands, says so.
  await card.locator(".delivery-log p, .delivery-log table").first().waitFor();
  const log = await card.locator(".delivery-log").textContent();
  expect(log).toMatch(/No delivery log is available|No deliveries yet|Retry/);
  expect(log).not.toContain("Could not load");
  await page.screenshot({ path: join(dir, "console-sent.png"), fullPage: true });
}, 30_000);

test("deliveries can be retried from the webhooks view where the delivery log exists", async () => {
  const list = await fetch(`${server.url}/api/v1/links/webhooks`, { headers: { "x-api-key": ADMIN_KEY } }).then((r) => r.json());
  const webhookId = list.data[0].id as string;
  const log = await fetch(`${server.url}/api/v1/links/webhooks/${webhookId}/deliveries`, { headers: { "x-api-key": ADMIN_KEY } });
  if (log.status === 404) {
    // The delivery engine is not on this branch: the view must say so instead of failing.
    expect(await page.locator(`li[data-webhook-id="${webhookId}"] .delivery-log`).textContent()).toContain("No delivery log is available");
    return;
  }
  const published = await fetch(`${server.url}/api/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": ADMIN_KEY },
    body: JSON.stringify({ type: "link.clicked", data: { link: "lnk_1" } }),
  });
  expect(published.status).toBe(202);
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  const retry = page.locator(`li[data-webhook-id="${webhookId}"] button`, { hasText: "Retry" }).first();
  await retry.waitFor();
  await retry.click();
  expect(await textMatching("#webhooks-status", /^Retry requested for dlv_/)).toMatch(/^Retry requested for dlv_/);
  await page.locator(".webhooks").screenshot({ path: join(dir, "console-deliveries.png") });
}, 20_000);

test("remember keeps the key in local storage, and unticking erases it", async () => {
  await page.getByLabel("Remember on this browser").check();
  expect(await page.evaluate(() => localStorage.getItem("hookrelay.console.auth"))).toContain(ADMIN_KEY);
  await page.reload();
  expect(await page.getByLabel("Bearer token").inputValue()).toBe(ADMIN_KEY);
  await page.getByLabel("Remember on this browser").uncheck();
  expect(await page.evaluate(() => localStorage.getItem("hookrelay.console.auth"))).toBeNull();
});

test("keyboard: Enter in a field sends, and the answer is shown", async () => {
  const list = await fetch(`${server.url}/api/v1/links/webhooks`, { headers: { "x-api-key": ADMIN_KEY } }).then((r) => r.json());
  await page.selectOption("#operation", "get-webhook");
  const id = page.getByRole("textbox", { name: "id", exact: true });
  await id.fill(list.data[0].id);
  expect(await statusAfter(() => id.press("Enter"))).toBe("200 OK");
  expect(JSON.parse((await page.locator("#response-json").textContent())!).data.id).toBe(list.data[0].id);
  expect(await page.locator("#response-announce").textContent()).toMatch(/^Response 200 OK in \d+ ms$/);

  // A required path parameter left empty is refused before sending, with the field focused.
  await id.fill("");
  await page.keyboard.press("Control+Enter");
  expect(await page.locator("#send-problems").textContent()).toContain("id is required");
  expect(await id.evaluate((el) => el === document.activeElement)).toBe(true);
}, 15_000);

test("traffic sources: log in, use the token, create a source and its Discord webhook", async () => {
  const user = { email: "ops@example.com", password: "a long password" };
  const created = await fetch(`${server.url}/api/v1/users`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": ADMIN_KEY },
    body: JSON.stringify(user),
  });
  expect(created.status).toBe(201);

  await page.selectOption("#operation", "login");
  expect(await page.locator("#auth-group").isHidden()).toBe(true);
  await page.getByRole("textbox", { name: "email", exact: true }).fill(user.email);
  await page.getByLabel("password").fill(user.password);
  expect(await statusAfter(() => page.getByLabel("password").press("Enter"))).toBe("200 OK");
  const token = JSON.parse((await page.locator("#response-json").textContent())!).token as string;
  // The session token has its own slot: the API key is left as it was.
  expect(await page.locator("#auth-user-token").inputValue()).toBe(token);
  expect(await page.locator("#auth-bearer").inputValue()).toBe(ADMIN_KEY);

  await page.selectOption("#operation", "create-traffic-source");
  expect(await page.getByLabel("Session token").isVisible()).toBe(true);
  expect(await page.getByLabel("Bearer token").isVisible()).toBe(false);
  await page.getByRole("textbox", { name: "name", exact: true }).fill("Checkout API");
  expect(await previewText()).toContain(`-H "Authorization: Bearer ${token}"`);
  expect(await statusAfter(() => page.getByRole("button", { name: "Send", exact: true }).click())).toBe("201 Created");
  const source = JSON.parse((await page.locator("#response-json").textContent())!);

  // The new source's id is already filled in where it is needed next.
  await page.selectOption("#operation", "create-traffic-webhook");
  expect(await page.getByRole("textbox", { name: "trafficSourceId" }).inputValue()).toBe(source.id);
  await page.getByRole("textbox", { name: "value" }).fill("123456789");
  expect(await statusAfter(() => page.getByRole("button", { name: "Send", exact: true }).click())).toBe("201 Created");
  const hook = JSON.parse((await page.locator("#response-json").textContent())!);
  expect(hook).toMatchObject({ type: "discord", level: "fatal", value: "123456789", trafficSourceId: source.id });

  // The API-key routes still work with the key, untouched by the login.
  await page.selectOption("#operation", "list-webhooks");
  expect(await statusAfter(() => page.getByRole("button", { name: "Send", exact: true }).click())).toBe("200 OK");
  expect(await page.locator("#webhooks-status").textContent()).not.toContain("Could not");
}, 15_000);

test("other operations build their requests and the page reads at phone width", async () => {
  await page.selectOption("#operation", "publish-event");
  await page.locator("#field-body-type").selectOption("uptime.down");
  await page.getByLabel("Idempotency-Key").fill("evt-123");
  const curl = await previewText();
  expect(curl).toContain(`curl -X POST "${server.url}/api/v1/events"`);
  expect(curl).toContain(`-H "Idempotency-Key: evt-123"`);
  expect(curl).toContain(`"type": "uptime.down"`);

  await page.selectOption("#operation", "create-traffic-webhook");
  await page.getByLabel("trafficSourceId").fill("c1d2e3f4");
  await page.getByLabel("value").fill("123456789");
  expect(await previewText()).toContain(`${server.url}/webhooks/c1d2e3f4`);

  await page.selectOption("#operation", "create-webhook");
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
  await page.screenshot({ path: join(dir, "console-phone.png"), fullPage: true });
}, 15_000);

test("the page made no request to any other host and logged no error", async () => {
  const requestedUrls: string[] = await page.evaluate(() => JSON.parse(sessionStorage.getItem("console-test-urls") ?? "[]"));
  // The page, its styles and scripts, and the API calls of the tests above.
  for (const path of ["/", "/css/console.css", "/js/console.js", "/js/snippets.js", "/api/v1/links/webhooks"]) {
    expect(requestedUrls.some((url) => url === `${server.url}${path}` || url.startsWith(`${server.url}${path}?`))).toBe(true);
  }
  expect(requestedUrls.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
  expect(pageErrors).toEqual([]);

  // The recorder does see a request to another host (the CSP stops it before any lookup).
  await page.evaluate(() => fetch("http://elsewhere.invalid/probe").catch(() => undefined));
  const after: string[] = await page.evaluate(() => JSON.parse(sessionStorage.getItem("console-test-urls") ?? "[]"));
  expect(after.filter((url) => !url.startsWith(`${server.url}/`))).toEqual(["blocked by CSP: http://elsewhere.invalid/probe"]);
});
