// The dashboard in a real browser against the real Worker, around runs: a run that needs approval
// is approved with an edited input; one is canceled; dead runs are redriven; the live log survives
// a dropped connection. The screenshots of these pages are saved in docs/screenshots/.
import { describe, expect, it } from "vitest";
import { createRun, expectStatus, nav, screenshot, signIn, useHarness } from "./dashboard-harness";

const SCENARIO_MS = 120_000;
const h = useHarness();

describe("dashboard in Chromium: runs", () => {
  it(
    "signs in, watches a run reach awaiting_approval live, approves it with an edited input, and sees it succeed with its log complete",
    async () => {
      const page = await h().page();
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
      expect((await h().api.getJson(`/v1/runs/${id}`)).status).toBe("awaiting_approval");
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
      const logged = (await h().api.events(id)).map((e: { type: string }) => e.type);
      expect(shown).toEqual(logged);
      expect(shown.at(-1)).toBe("run.succeeded");
      expect(shown).toContain("approval.decided");
      await page.locator('tr[data-step="2"] .badge[data-status="completed"]').waitFor();
      await page.getByRole("heading", { name: "Output" }).waitFor();
      // Credits per unit of work, from the log, add up to what the run was charged.
      const stepCredits = await page.locator("tr[data-step] td:nth-child(6)").allTextContents();
      const planCredits = Number(await page.getByTestId("plan-credits").textContent());
      const spent = (await h().api.getJson(`/v1/runs/${id}`)).credits.spent;
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
    "shows the call in flight on a watched run's page, and nothing of it in the log",
    async () => {
      const page = await h().page();
      await signIn(page);
      const id = await createRun(page, "- wait here !approve\n- think slowly !slow 4000");
      await expectStatus(page, "awaiting_approval");
      await page.locator('[data-log-state="live"]').waitFor();
      const approval = (await h().api.getJson(`/v1/runs/${id}`)).approvals[0];
      const decided = await h().api.call(`/v1/approvals/${approval.id}`, { method: "POST", json: { decision: "approve" } });
      expect(decided.status).toBe(200);
      // Step 2's model call takes 4 s: the page shows it running before the step's events land.
      await page.getByTestId("progress-now").getByText("step 2: model call 1 running…").waitFor();
      expect(await page.locator('.log li[data-type="step.completed"]').count()).toBe(1);
      await expectStatus(page, "succeeded");
      await page.locator('[data-log-state="done"]').waitFor();
      expect(await page.getByTestId("progress-now").count()).toBe(0);
      const shown = await page.locator(".log li").evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset["type"]));
      expect(shown).toEqual((await h().api.events(id)).map((e: { type: string }) => e.type));
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "cancels a run that waits for approval from its page, after which neither cancel nor retry is offered",
    async () => {
      const page = await h().page();
      await signIn(page);
      const id = await createRun(page, "- ship the parcel !approve");
      await expectStatus(page, "awaiting_approval");
      expect(await page.getByRole("button", { name: "Retry run" }).count()).toBe(0);
      await page.getByRole("button", { name: "Cancel run" }).click();
      await expectStatus(page, "canceled");
      await page.locator('.log li[data-type="run.canceled"]').waitFor();
      await page.locator('[data-log-state="done"]').waitFor();
      expect(await page.getByRole("button", { name: /^(Cancel|Retry) run$/ }).count()).toBe(0);
      await page.getByRole("heading", { name: "Feedback" }).waitFor();
      const approval = (await h().api.getJson(`/v1/runs/${id}`)).approvals[0];
      expect([approval.status, approval.comment]).toEqual(["rejected", "run canceled"]);
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "shows a run that died of transient errors in the dead-letter page and redrives it from there",
    async () => {
      const page = await h().page();
      await signIn(page);
      const other = (await h().api.createRun({ agent: "general", input: "- call the other flaky supplier !fail-transient 9" }))
        .id as string;
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
      expect((await h().api.getJson(`/v1/runs/${other}`)).attempts).toBe(2);

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
    "resumes a run's live log after the connection drops, from the last event, without a gap or a repeat",
    async () => {
      const page = await h().page();
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
      const logged = (await h().api.events(id)).map((e: { seq: number }) => String(e.seq));
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
    "resolves a failed run from the exceptions page with an outcome, and lists the feedback given on its page",
    async () => {
      const page = await h().page();
      await signIn(page);
      const id = await createRun(page, "- ask the supplier !fail-permanent");
      await expectStatus(page, "failed");
      await page.getByLabel("Comment").fill("the supplier was down");
      await page.getByRole("button", { name: /Needs work/ }).click();
      await page.getByText(/Thanks: feedback .* \(down\) saved/).waitFor();

      await nav(page, "Exceptions");
      const card = page.locator(`li[data-exception="${id}"]`);
      await card.getByText("model_bad_request", { exact: false }).waitFor();
      await card.getByLabel("Outcome (JSON, optional)").fill('{"answer": "refunded by hand"');
      await card.getByRole("button", { name: "Resolve" }).click();
      await card.locator(".field-error", { hasText: "output: not valid JSON" }).waitFor();
      await screenshot(page, "exceptions");
      await card.getByLabel("Outcome (JSON, optional)").fill('{"answer": "refunded by hand"}');
      await card.getByLabel("Comment").fill("done by phone");
      await card.getByRole("button", { name: "Resolve" }).click();
      await card.waitFor({ state: "detached" });
      await page.getByLabel("Show").selectOption("resolved");
      const resolved = page.locator(`li[data-exception="${id}"]`);
      await resolved.getByText(/resolved by api_key .*: done by phone/).waitFor();
      await resolved.getByText("refunded by hand").waitFor();
      const run = await h().api.getJson(`/v1/runs/${id}`);
      expect([run.status, run.resolution.action, run.resolution.output]).toEqual(["failed", "resolved", { answer: "refunded by hand" }]);

      await nav(page, "Feedback");
      const fb = page.locator(".card", { has: page.locator(`a[href="/runs/${id}"]`) });
      await fb.getByText("the supplier was down").waitFor();
      await screenshot(page, "feedback");
      await page.close();
    },
    SCENARIO_MS,
  );

  it(
    "lists a run's workspace files on its page and downloads one with the session's key",
    async () => {
      const run = await h().api.createRun({ agent: "general", input: "- read the notes", files: { "notes/todo.csv": "a,b\n1,2\n" } });
      await h().api.waitForRun(run.id, (r: { status: string }) => r.status === "succeeded");
      const page = await h().page();
      await signIn(page);
      await page.getByRole("heading", { name: "Runs" }).waitFor();
      await page.locator(`a[href="/runs/${run.id}"]`).first().click();
      await expectStatus(page, "succeeded");
      await page.getByRole("button", { name: "Show 1 file" }).click();
      const pending = page.waitForEvent("download");
      await page.getByRole("list", { name: "Files" }).getByRole("button", { name: "notes/todo.csv" }).click();
      const file = await pending;
      expect(file.suggestedFilename()).toBe("todo.csv");
      const stream = await file.createReadStream();
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString("utf8")).toBe("a,b\n1,2\n");
      await page.close();
    },
    SCENARIO_MS,
  );

  it("loaded every page, script, style and socket from the Worker's own origin", () => {
    expect([...h().origins]).toEqual([h().worker.origin]);
  });
});
