// One run of the console in Firefox (Debian's firefox-esr over WebDriver BiDi, puppeteer-core):
// create a webhook to a receiver that fails, publish, watch the attempts arrive in the drawer,
// fix the receiver, retry, see it delivered. Screenshots (desktop, phone) stay in the temp dir.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { collectFirefoxErrors, launchFirefox } from "./helpers/firefox";
import { startWatchSession, WATCH_ADMIN_KEY, type WatchSession } from "./helpers/watch-session";

let s: WatchSession;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  s = await startWatchSession("hookrelay-firefox-");
  browser = await launchFirefox();
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  collectFirefoxErrors(page, pageErrors);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  if (s) console.log(`firefox screenshots: ${s.dir}`);
});

const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? "");

async function waitText(selector: string, pattern: RegExp, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (sel, source) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ""),
    { timeout },
    selector,
    pattern.source,
  );
}

/** Clicks Send and waits for the answer; returns its status line. */
async function send(): Promise<string> {
  const before = await page.$eval("#response-section", (el) => Number((el as HTMLElement).dataset.responses ?? "0"));
  await page.click("#send");
  await page.waitForFunction((n) => Number(document.getElementById("response-section")!.dataset.responses ?? "0") > n, {}, before);
  return text("#response-status");
}

test("Firefox: create → publish to a failing receiver → attempts arrive → fix → retry → delivered", async () => {
  await page.goto(`${s.server.url}/`);
  await page.type("#auth-bearer", WATCH_ADMIN_KEY);
  await page.keyboard.press("Tab");
  await waitText("#auth-scope", /Platform key/);

  await page.type("#field-body-url", `http://127.0.0.1:${s.receiver.port}/firefox`);
  await page.click("#field-body-events-link-clicked");
  expect(await send()).toBe("201 Created");
  const webhookId = JSON.parse(await text("#response-json")).data.id as string;

  await page.select("#operation", "publish-event");
  await page.select("#field-body-type", "link.clicked");
  await page.$eval("#field-body-data", (el) => ((el as HTMLTextAreaElement).value = ""));
  await page.type("#field-body-data", '{"browser": "firefox"}');
  expect(await send()).toBe("202 Accepted");

  await page.waitForSelector("#deliveries-list tr[data-delivery-id]");
  expect(await text("#deliveries-list tbody tr")).toContain(webhookId);
  // Clicked in the page: an auto-refresh that redraws the row between finding and clicking its
  // button would otherwise leave the test holding a detached node.
  await page.$eval("#deliveries-list tbody tr .retry-cell button", (b) => (b as HTMLButtonElement).click());
  await page.waitForSelector("#drawer[open]");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("drawer-title");

  // Auto-refresh brings the retries into the open drawer until the delivery fails.
  await page.waitForFunction(() => document.querySelectorAll("#drawer table.attempts tbody tr").length >= 2, { timeout: 20_000 });
  expect(await text("#drawer table.attempts tbody tr")).toContain("HTTP 500");
  expect(await text("#drawer pre.payload")).toContain('"browser": "firefox"');
  await page.screenshot({ path: join(s.dir, "firefox-drawer-retrying.png") });
  await waitText('#drawer [data-fact="status"]', /^failed$/);

  s.failing.value = false;
  await page.click("#drawer .drawer-actions button.primary");
  await waitText('#drawer [data-fact="status"]', /^delivered$/);
  expect(await page.$$eval("#drawer table.attempts tbody tr", (rows) => rows.at(-1)!.textContent)).toContain("HTTP 200");
  expect(JSON.parse(s.received.at(-1)!).data).toEqual({ browser: "firefox" });
  await page.screenshot({ path: join(s.dir, "firefox-drawer-delivered.png") });

  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.querySelector("#drawer")!.hasAttribute("open"));
  await waitText("#deliveries-list tbody tr", /delivered/);
  await page.screenshot({ path: join(s.dir, "firefox-desktop.png"), fullPage: true });

  await page.setViewport({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
  await page.$eval("#deliveries-list tbody tr .retry-cell button", (b) => (b as HTMLButtonElement).click());
  await page.waitForSelector("#drawer table.attempts");
  await page.screenshot({ path: join(s.dir, "firefox-phone-drawer.png") });
  await page.keyboard.press("Escape");
  expect(pageErrors).toEqual([]);
}, 120_000);
