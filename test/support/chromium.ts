/**
 * Debian's Chromium for the browser tests, launched the same way everywhere: headless, no
 * sandbox (root), no background networking (the machine reaches no outside host), a fresh
 * profile removed on close.
 */
import { access, constants, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { serviceAvailable } from "./services.js";

/** The Chromium binary: `CHROMIUM_PATH` or Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether Chromium is installed (loud skip, or a failure with REQUIRE_SERVICES=1). */
export function chromiumAvailable(label: string): Promise<boolean> {
  return serviceAvailable(label, () => access(CHROMIUM_PATH, constants.X_OK));
}

/** A browser context on a fresh profile; `close()` also removes the profile. */
export async function launchChromium(
  profilePrefix: string,
  options: { readonly viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), `${profilePrefix}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    timeout: 30_000,
    ...(options.viewport === undefined ? {} : { viewport: options.viewport }),
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
