// The dashboard in a real browser against the real Worker: a person signs in, creates a run that
// needs approval and approves it with an edited input; redrives a dead run; sees an agent's field
// error; and a refused key shows an error and no data. The main pages' screenshots are saved.

import { SignJWT } from "jose";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type Harness, SUPABASE, screenshot, signIn, startHarness } from "./dashboard-harness";

const SCENARIO_MS = 120_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

/** Follows a link of the main navigation. */
const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
async function expectStatus(page: Page, status: string) {
  await page.locator(`h1.run-title .badge[data-status="${status}"]`).waitFor();
}
async function createRun(page: Page, input: string): Promise<string> {
  await nav(page, "Runs");
  await page.getByLabel("Agent", { exact: true }).first().selectOption("general");
  await page.getByLabel("Input").fill(input);
  await page.getByRole("button", { name: "Create run" }).click();
  await page.waitForURL(/\/runs\/run_/);
  return new URL(page.url()).pathname.split("/").pop()!;
}

describe("dashboard in Chromium", () => {
  it(
    "signs in, watches a run reach awaiting_approval live, approves it with an edited input, and sees it succeed with its log complete",
    async () => {
      const page = await h.page();
      await signIn(page);
      await page.getByRole("heading", { name: "Runs" }).waitFor();
      const id = await createRun(page, "- check the refund !approve\n- report");

      await expectStatus(page, "awaiting_approval");
      await page.locator('.log li[data-type="approval.requested"]').waitFor();
      await page.getByText("Waiting for a person").waitFor();
      await screenshot(page, "run-awaiting-approval");

      await nav(page, "Approvals");
      const card = page.locator(".card", { has: page.locator(`a[href="/runs/${id}"]`) });
      await card.waitFor();
      await card.getByText("request_approval", { exact: true }).waitFor();
      await card.getByText(/\(in \d+ h\)/).waitFor();
      const input = card.getByLabel("Input (JSON, sent when changed)");
      // A JSON mistake is caught at the field before anything is sent.
      await input.fill('{"action": "check the refund",');
      await card.getByRole("button", { name: "Approve" }).click();
      await card.locator(".field-error", { hasText: "input: not valid JSON" }).waitFor();
      expect((await h.api.getJson(`/v1/runs/${id}`)).status).toBe("awaiting_approval");
      await screenshot(page, "approvals");

      await input.fill(JSON.stringify({ action: "check the refund", details: "edited in the dashboard" }, null, 2));
      await card.getByLabel("Comment").fill("fine, with a note");
      await card.getByRole("button", { name: "Approve" }).click();
      await page.getByText(/Approved apr_/).waitFor();

      await page.getByLabel("Status").selectOption("approved");
      const decided = page.locator(".card", { has: page.locator(`a[href="/runs/${id}"]`) });
      await decided.getByText("edited in the dashboard").waitFor();
      await decided.getByText("approve: fine, with a note").waitFor();

      await decided.locator(`a[href="/runs/${id}"]`).click();
      await expectStatus(page, "succeeded");
      await page.locator('[data-log-state="done"]').waitFor();
      const shown = await page.locator(".log li").evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset["type"]));
      const logged = (await h.api.events(id)).map((e: { type: string }) => e.type);
      expect(shown).toEqual(logged);
      expect(shown.at(-1)).toBe("run.succeeded");
      expect(shown).toContain("approval.decided");
      await page.locator('tr[data-step="2"] .badge[data-status="completed"]').waitFor();
      await page.getByRole("heading", { name: "Output" }).waitFor();
      // Credits per unit of work, from the log, add up to what the run was charged.
      const stepCredits = await page.locator("tr[data-step] td:nth-child(6)").allTextContents();
      const planCredits = Number(await page.getByTestId("plan-credits").textContent());
      const spent = (await h.api.getJson(`/v1/runs/${id}`)).credits.spent;
      expect(stepCredits).toHaveLength(2);
      expect(planCredits + stepCredits.reduce((sum, c) => sum + Number(c), 0)).toBe(spent);
      expect(spent).toBeGreaterThan(0);
      expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
      await screenshot(page, "run");

      await nav(page, "Runs");
      await page.locator(`tr[data-run="${id}"] .badge[data-status="succeeded"]`).waitFor();
      await screenshot(page, "runs");

      // A phone-sized screen: the page does not scroll sideways and the navigation stays usable.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await nav(page, "Credits");
      await page.getByTestId("available").waitFor();
      await screenshot(page, "credits-narrow");
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "cancels a run that waits for approval from its page, after which no action is offered",
    async () => {
      const page = await h.page();
      await signIn(page);
      const id = await createRun(page, "- ship the parcel !approve");
      await expectStatus(page, "awaiting_approval");
      expect(await page.getByRole("button", { name: "Retry run" }).count()).toBe(0);
      await page.getByRole("button", { name: "Cancel run" }).click();
      await expectStatus(page, "canceled");
      await page.locator('.log li[data-type="run.canceled"]').waitFor();
      await page.locator('[data-log-state="done"]').waitFor();
      expect(await page.locator(".actions button").count()).toBe(0);
      const approval = (await h.api.getJson(`/v1/runs/${id}`)).approvals[0];
      expect([approval.status, approval.comment]).toEqual(["rejected", "run canceled"]);
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "shows a run that died of transient errors in the dead-letter page and redrives it from there",
    async () => {
      const page = await h.page();
      await signIn(page);
      const other = (await h.api.createRun({ agent: "general", input: "- call the other flaky supplier !fail-transient 9" })).id as string;
      const id = await createRun(page, "- call the flaky supplier !fail-transient 9");
      await expectStatus(page, "dead");
      await page.getByText("model_overloaded").first().waitFor();

      await nav(page, "Dead letters");
      const row = page.locator(`tr[data-run="${id}"]`);
      const otherRow = page.locator(`tr[data-run="${other}"]`);
      await row.getByText("model_overloaded").waitFor();
      await otherRow.getByText("model_overloaded").waitFor();
      await screenshot(page, "dead-letters");

      await row.getByRole("button", { name: `Redrive ${id}` }).click();
      await page.getByText("Redrove 1 of 1.").waitFor();
      await row.waitFor({ state: "detached" });
      expect(await otherRow.count()).toBe(1);
      // A selection: tick the other dead run and redrive the selected ones.
      await otherRow.getByRole("checkbox", { name: `Select ${other}` }).check();
      await page.getByRole("button", { name: "Redrive selected (1)" }).click();
      await otherRow.waitFor({ state: "detached" });
      expect((await h.api.getJson(`/v1/runs/${other}`)).attempts).toBe(2);

      await nav(page, "Runs");
      await page.locator(`a[href="/runs/${id}"]`).click();
      // The redrive queued the run again (attempt 2) and its step started again: the log, live, says so.
      await page.getByTestId("attempts").filter({ hasText: /^2$/ }).waitFor();
      const logTypes = () => page.locator(".log li").evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset["type"]));
      await expect
        .poll(
          async () => {
            const types = await logTypes();
            return types.slice(types.indexOf("run.dead") + 1).filter((t) => t === "run.queued" || t === "step.started");
          },
          { timeout: 30_000 },
        )
        .toEqual(expect.arrayContaining(["run.queued", "step.started"]));
      expect((await logTypes()).indexOf("run.dead")).toBeGreaterThan(0);
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "shows the API's error at the field of an invalid custom agent and saves nothing until it is fixed",
    async () => {
      const page = await h.page();
      await signIn(page);
      await nav(page, "Agents");
      await page.getByRole("link", { name: "general" }).waitFor();
      await page.getByRole("button", { name: "New agent" }).click();
      await page.getByLabel("Name").fill("refund-desk");
      await page.getByLabel("System prompt").fill("You answer questions about refunds.");
      await page.getByLabel("max steps").fill("99");
      await page.getByRole("button", { name: "Save agent" }).click();

      const error = page.locator("#agent-max_steps-error");
      await error.waitFor();
      expect(await error.textContent()).toMatch(/^max_steps/);
      expect(await page.getByLabel("max steps").getAttribute("aria-invalid")).toBe("true");
      expect((await h.api.call("/v1/agents/refund-desk")).status).toBe(404);
      await screenshot(page, "agent-field-error");

      await page.getByLabel("max steps").fill("5");
      await page.getByRole("button", { name: "Save agent" }).click();
      await page.waitForURL(/\/agents\/refund-desk$/);
      await page.getByRole("heading", { name: "refund-desk custom" }).waitFor();
      expect((await h.api.getJson("/v1/agents/refund-desk")).max_steps).toBe(5);
      await screenshot(page, "agents");
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "shows an error and no data for a wrong key, and returns to sign-in when a key is revoked",
    async () => {
      const page = await h.page();
      await signIn(page, "ec_dev_not_a_key");
      await page.getByRole("alert").filter({ hasText: "unauthorized" }).waitFor();
      expect(await page.locator("nav").count()).toBe(0);
      expect(await page.locator("table").count()).toBe(0);
      expect(await page.evaluate(() => ({ s: sessionStorage.length, l: localStorage.length }))).toEqual({ s: 0, l: 0 });
      expect(page.url()).not.toContain("ec_dev");
      await screenshot(page, "sign-in-refused");

      // A key that works until it is revoked: the next request's 401 ends the session.
      const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
      const tenant = `ui-${Date.now().toString(36)}`;
      await fetch(`${h.worker.origin}/v1/admin/tenants`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ id: tenant, name: "UI", credits: 10 }),
      });
      const issued = (await (
        await fetch(`${h.worker.origin}/v1/admin/tenants/${tenant}/keys`, { method: "POST", headers: admin })
      ).json()) as { id: string; key: string };
      await page.getByLabel("API key").fill("");
      await page.getByLabel("API key").fill(issued.key);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("heading", { name: "Runs" }).waitFor();
      await page.getByText("No runs yet").waitFor();
      expect(page.url()).not.toContain(issued.key);
      const revoked = await fetch(`${h.worker.origin}/v1/admin/tenants/${tenant}/keys/${issued.id}`, { method: "DELETE", headers: admin });
      expect(revoked.status).toBe(200);
      await page.getByText("Your key was refused (401): sign in again.").waitFor();
      expect(await page.locator("nav").count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "resumes a run's live log after the connection drops, from the last event, without a gap or a repeat",
    async () => {
      const page = await h.page();
      const sockets: string[] = [];
      await page.routeWebSocket(/\/v1\/runs\/[^/]+\/stream/, (ws) => {
        sockets.push(ws.url());
        const server = ws.connectToServer();
        if (sockets.length > 1) return;
        // The first connection drops after three events, as a network would.
        let seen = 0;
        server.onMessage((m) => {
          ws.send(m);
          if (++seen === 3) {
            void ws.close({ code: 4000, reason: "dropped" });
            void server.close();
          }
        });
      });
      await signIn(page);
      const id = await createRun(page, "- wait a moment !slow 1500\n- report");
      await expectStatus(page, "succeeded");
      await page.locator('[data-log-state="done"]').waitFor();
      const seqs = await page.locator(".log li .seq").allTextContents();
      const logged = (await h.api.events(id)).map((e: { seq: number }) => String(e.seq));
      expect(seqs).toEqual(logged);
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      expect(new URL(sockets[0]!).searchParams.get("after")).toBe("0");
      expect(new URL(sockets[1]!).searchParams.get("after")).toBe("3");
      for (const url of sockets) expect(new URL(url).searchParams.get("ticket")).toMatch(/^tk\./);

      await nav(page, "Queues & workers");
      await page.getByRole("table", { name: "Lanes" }).waitFor();
      await screenshot(page, "queues");
      await nav(page, "Events & webhooks");
      await page.getByText("run.succeeded").first().waitFor();
      await screenshot(page, "events");
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "signs in with Supabase when the deployment has it: a wrong password is refused, the right one opens the tenant's runs",
    async () => {
      const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
      const tenant = `sb-${Date.now().toString(36)}`;
      await fetch(`${h.worker.origin}/v1/admin/tenants`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ id: tenant, name: "Supabase", credits: 10 }),
      });
      const token = await new SignJWT({ role: "authenticated" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(tenant)
        .setAudience("authenticated")
        .setIssuer(`${SUPABASE.url}/auth/v1`)
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode(SUPABASE.jwtSecret));
      const page = await h.page();
      const asked: { apikey?: string; body: unknown }[] = [];
      // Supabase Auth's password grant, as the project would answer it.
      await page.route(`${SUPABASE.url}/auth/v1/token?grant_type=password`, async (route) => {
        const body = route.request().postDataJSON() as { email: string; password: string };
        asked.push({ apikey: route.request().headers()["apikey"], body });
        const ok = body.email === "ops@example.com" && body.password === "right password";
        await route.fulfill({
          status: ok ? 200 : 400,
          headers: { "access-control-allow-origin": "*" },
          contentType: "application/json",
          body: JSON.stringify(
            ok
              ? { access_token: token, token_type: "bearer", expires_in: 600 }
              : { error: "invalid_grant", error_description: "Invalid login credentials" },
          ),
        });
      });
      await page.getByRole("heading", { name: "Sign in with Supabase" }).waitFor();
      await page.getByLabel("Email").fill("ops@example.com");
      await page.getByLabel("Password").fill("wrong password");
      await page.getByRole("button", { name: "Sign in with Supabase" }).click();
      await page.getByRole("alert").filter({ hasText: "Invalid login credentials" }).waitFor();
      expect(await page.locator("nav").count()).toBe(0);
      await screenshot(page, "sign-in");

      await page.getByLabel("Password").fill("right password");
      await page.getByRole("button", { name: "Sign in with Supabase" }).click();
      await page.getByText("No runs yet").waitFor();
      expect(asked).toEqual([
        { apikey: SUPABASE.anonKey, body: { email: "ops@example.com", password: "wrong password" } },
        { apikey: SUPABASE.anonKey, body: { email: "ops@example.com", password: "right password" } },
      ]);
      expect(page.url()).not.toContain(token);
      await page.close();
    },
    SCENARIO_MS,
  );

  it("loaded every page, script, style and socket from the Worker's own origin (sign-in aside, which asks Supabase)", () => {
    expect([...h.origins].filter((o) => o !== SUPABASE.url)).toEqual([h.worker.origin]);
  });
});
