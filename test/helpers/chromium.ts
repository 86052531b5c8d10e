// Debian's Chromium driven by playwright-core, as every browser test starts it: headless, no
// sandbox (containers), nothing that reaches out to Google's services on its own.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** A browser with its own profile under `dir`; throws (never skips) when Chromium is missing. */
export async function launchChromium(dir: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  const profile = join(dir, "chromium-profile");
  mkdirSync(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 20_000,
  });
}

/**
 * Collects the page's script errors and console errors. Chromium logs every 4xx API answer
 * ("Failed to load resource"); those are answers the page shows, not failures.
 */
export function collectPageErrors(page: Page, into: string[]): void {
  page.on("pageerror", (error) => into.push(error.message));
  page.on("console", (message) => {
    const apiAnswer = message.text().startsWith("Failed to load resource") && message.location().url.includes("/api/");
    if (message.type() === "error" && !apiAnswer) into.push(`${message.text()} at ${message.location().url}`);
  });
}
