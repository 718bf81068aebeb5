// What the dashboard's browser tests share: the real Worker (wrangler dev serving dist/public and
// the API, scripted model, fast retries), a Chromium, signing in through the page, screenshots.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { type Browser, launchBrowser } from "../support/browser";
import { client, type LocalWorker, startWorker } from "../support/local-worker";

export const KEY = "ec_dev_dashboard_tests";
export const ADMIN = "dashboard-tests-admin";
/** Supabase sign-in is configured; the browser's calls to this project are answered by the test. */
export const SUPABASE = {
  url: "http://supabase.test",
  anonKey: "anon-public-key",
  jwtSecret: "dashboard-tests-supabase-jwt-secret-0123456789",
};
const SHOTS = resolve(import.meta.dirname, "../../docs/screenshots");

export interface Harness {
  worker: LocalWorker;
  browser: Browser;
  api: ReturnType<typeof client>;
  /** Every origin a page of this harness requested. */
  origins: Set<string>;
  page(): Promise<Page>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const worker = await startWorker("wrangler.toml", {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: ADMIN,
    DEV_API_KEY: KEY,
    MODEL_PROVIDER: "scripted",
    AUTH_SIGNING_SECRET: "dashboard-tests-signing-secret-0123456789abcdef",
    RETRY_BASE_MS: "100",
    RETRY_MAX_MS: "1000",
    SUPABASE_URL: SUPABASE.url,
    SUPABASE_JWT_SECRET: SUPABASE.jwtSecret,
    SUPABASE_ANON_KEY: SUPABASE.anonKey,
  });
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await worker.stop();
    throw e;
  }
  const origins = new Set<string>();
  return {
    worker,
    browser,
    api: client(worker.origin, KEY),
    origins,
    async page() {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(30_000);
      page.on("request", (r) => {
        const url = new URL(r.url());
        if (url.protocol !== "data:") origins.add(url.origin.replace(/^ws/, "http"));
      });
      await page.goto(worker.origin);
      return page;
    },
    async stop() {
      await browser.close();
      await worker.stop();
    },
  };
}

/** Follows a link of the main navigation. */
export function nav(page: Page, name: string): Promise<void> {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
}

/** Waits until the run page shows the run in `status`. */
export async function expectStatus(page: Page, status: string): Promise<void> {
  await page.locator(`h1.run-title .badge[data-status="${status}"]`).waitFor();
}

/** Creates a run of `general` from the runs page's form; resolves to its id once its page is open. */
export async function createRun(page: Page, input: string): Promise<string> {
  await nav(page, "Runs");
  await page.getByLabel("Agent", { exact: true }).first().selectOption("general");
  await page.getByLabel("Input").fill(input);
  await page.getByRole("button", { name: "Create run" }).click();
  await page.waitForURL(/\/runs\/run_/);
  return new URL(page.url()).pathname.split("/").pop()!;
}

/** Signs in from the sign-in page with the keyboard only: Tab to the key field, type, Enter. */
export async function signIn(page: Page, key = KEY): Promise<void> {
  await page.getByLabel("API key").waitFor();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("api-key");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
}

/** Starts the harness before a file's tests and stops it after them. */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });
  return () => h!;
}

/** Saves a screenshot of the page as docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}
