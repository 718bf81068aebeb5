// The dashboard in a real browser against the real Worker, around access and agents: a wrong key
// shows an error and no data, a revoked key ends the session, Supabase sign-in, and an invalid
// custom agent's field error. The screenshots of these pages are saved in docs/screenshots/.
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ADMIN, nav, SUPABASE, screenshot, signIn, useHarness } from "./dashboard-harness";

const SCENARIO_MS = 120_000;
const h = useHarness();

describe("dashboard in Chromium: signing in and agents", () => {
  it(
    "shows an error and no data for a wrong key, and returns to sign-in when a key is revoked",
    async () => {
      const page = await h().page();
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
      await fetch(`${h().worker.origin}/v1/admin/tenants`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ id: tenant, name: "UI", credits: 10 }),
      });
      const issued = (await (
        await fetch(`${h().worker.origin}/v1/admin/tenants/${tenant}/keys`, { method: "POST", headers: admin })
      ).json()) as { id: string; key: string };
      await page.getByLabel("API key").fill("");
      await page.getByLabel("API key").fill(issued.key);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("heading", { name: "Runs" }).waitFor();
      await page.getByText("No runs yet").waitFor();
      expect(page.url()).not.toContain(issued.key);
      const revoked = await fetch(`${h().worker.origin}/v1/admin/tenants/${tenant}/keys/${issued.id}`, {
        method: "DELETE",
        headers: admin,
      });
      expect(revoked.status).toBe(200);
      await page.getByText("Your key was refused (401): sign in again.").waitFor();
      expect(await page.locator("nav").count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "signs in with Supabase when the deployment has it: a wrong password is refused, the right one opens the tenant's runs",
    async () => {
      const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
      const tenant = `sb-${Date.now().toString(36)}`;
      await fetch(`${h().worker.origin}/v1/admin/tenants`, {
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
      const page = await h().page();
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

  it(
    "shows the API's error at the field of an invalid custom agent and saves nothing until it is fixed",
    async () => {
      const page = await h().page();
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
      expect((await h().api.call("/v1/agents/refund-desk")).status).toBe(404);
      await screenshot(page, "agent-field-error");

      await page.getByLabel("max steps").fill("5");
      await page.getByRole("button", { name: "Save agent" }).click();
      await page.waitForURL(/\/agents\/refund-desk$/);
      await page.getByRole("heading", { name: "refund-desk custom" }).waitFor();
      expect((await h().api.getJson("/v1/agents/refund-desk")).max_steps).toBe(5);
      await screenshot(page, "agents");
      await page.close();
    },
    SCENARIO_MS,
  );

  it("loaded every page, script, style and socket from the Worker's own origin (sign-in aside, which asks Supabase)", () => {
    expect([...h().origins].filter((o) => o !== SUPABASE.url)).toEqual([h().worker.origin]);
  });
});
