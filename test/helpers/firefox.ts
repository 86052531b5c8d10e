// Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi (playwright cannot drive a
// stock Firefox): headless, its own profile, nothing that reaches out to Mozilla on its own.
import { existsSync } from "node:fs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const FIREFOX = "/usr/bin/firefox-esr";

/** Throws (never skips) when Firefox is missing: scripts/ensure-firefox.sh installs it. */
export async function launchFirefox(): Promise<Browser> {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: scripts/ensure-firefox.sh installs Debian's firefox-esr`);
  return puppeteer.launch({
    browser: "firefox",
    protocol: "webDriverBiDi",
    executablePath: FIREFOX,
    headless: true,
    timeout: 30_000,
    protocolTimeout: 30_000,
    defaultViewport: { width: 1280, height: 900 },
    // On top of puppeteer's own profile preferences (no updates, no telemetry).
    extraPrefsFirefox: {
      "network.captive-portal-service.enabled": false,
      "network.connectivity-service.enabled": false,
      "browser.safebrowsing.malware.enabled": false,
      "browser.safebrowsing.phishing.enabled": false,
      "extensions.getAddons.cache.enabled": false,
    },
  });
}

/** Script errors and console errors of the page (the console's own 4xx answers are shown, not errors). */
export function collectFirefoxErrors(page: Page, into: string[]): void {
  page.on("pageerror", (error) => into.push(error instanceof Error ? error.message : String(error)));
  page.on("console", (message) => {
    if (message.type() === "error" && !/\/api\//.test(message.location()?.url ?? "")) into.push(message.text());
  });
}
