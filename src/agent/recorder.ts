// Records what one unit of work does (model calls, tool calls, charges) so it can be committed
// to the run's journal in one write, and enforces the run's credit budget call by call.

import type { CallContext, ModelClient, ModelRequest, ModelResponse } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import { MAX_JSON_DEPTH, valueTooDeep } from "../domain/json-depth";
import { callPrice, fitCharge, type Pricing } from "../domain/pricing";
import { addUsage, type NewEvent, type Usage, ZERO_USAGE } from "../domain/types";
import type { UnitReport, WorkState } from "../run/protocol";
import { type ProgressNote, ProgressReporter } from "./progress";

export class UnitRecorder {
  readonly events: NewEvent[] = [];
  readonly charges: { key: string; amount: number }[] = [];
  usage: Usage = ZERO_USAGE;
  private calls = 0;
  private spent: number;
  private feeCharged: boolean;

  constructor(
    private readonly work: WorkState,
    private readonly model: ModelClient,
    private readonly pricing: Pricing,
    private readonly progress: ProgressReporter = ProgressReporter.silent,
  ) {
    this.spent = work.spent;
    this.feeCharged = work.feeCharged;
  }

  /** Model calls made so far in this unit. */
  get callCount(): number {
    return this.calls;
  }

  /**
   * Makes one model call, records its usage and charge, and fails the run past its budget or when
   * a tool input nests deeper than `MAX_JSON_DEPTH`.
   */
  async call(request: ModelRequest): Promise<ModelResponse> {
    const u = this.work.unit;
    const ctx: CallContext = {
      runId: this.work.runId,
      tenantId: this.work.tenantId,
      step: u.index,
      attempt: u.attempt,
      call: this.calls,
      failedCalls: u.failedCalls,
    };
    const started = Date.now();
    this.note({ kind: "model.started", call: this.calls + 1 });
    let res: ModelResponse;
    try {
      res = await this.model.createMessage(request, ctx);
    } catch (err) {
      this.note({ kind: "model.finished", call: this.calls + 1, ok: false, ms: Date.now() - started });
      throw err;
    }
    const callNo = ++this.calls;
    this.note({ kind: "model.finished", call: callNo, ok: true, ms: Date.now() - started });
    this.usage = addUsage(this.usage, res.usage);
    let price = callPrice(res.usage, this.pricing);
    const feeKey = !this.feeCharged;
    if (feeKey) price += this.pricing.perRun;
    this.events.push({
      type: "model.call",
      level: "info",
      message: `model call ${callNo} for ${u.index === 0 ? "the plan" : `step ${u.index}`}`,
      data: {
        step: u.index,
        call: callNo,
        attempt: u.attempt,
        model: res.model,
        stop_reason: res.stop_reason,
        usage: res.usage,
        credits: price,
        ms: Date.now() - started,
      },
    });
    const fit = fitCharge(this.spent, price, this.work.maxCredits);
    if (fit.amount > 0) {
      this.charges.push({ key: `${this.work.runId}:${this.work.runAttempt}:${u.index}:${u.attempt}:${callNo}`, amount: fit.amount });
      this.spent += fit.amount;
    }
    this.feeCharged = true;
    if (!fit.ok) {
      throw new RunFailure(
        "budget_exceeded",
        `the run's budget of ${this.work.maxCredits} credits would be exceeded by a call costing ${price}`,
      );
    }
    // A tool input is stored, validated and sent on by recursive code: refuse one nested too deep
    // (after charging: the call was made) rather than let it exhaust the stack on every retry.
    for (const block of res.content) {
      if (block.type === "tool_use" && valueTooDeep(block.input, MAX_JSON_DEPTH)) {
        throw new RunFailure(
          "model_protocol_error",
          `the model's ${block.name} tool input nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`,
        );
      }
    }
    return res;
  }

  /** A progress note for live watchers of this unit (sent only while watched; never stored). */
  note(note: ProgressNote): void {
    this.progress.note(this.work.unit.index, this.work.unit.attempt, note);
  }

  log(event: NewEvent): void {
    this.events.push(event);
  }

  report(): UnitReport {
    return { events: this.events, charges: this.charges, usage: this.usage, feeCharged: this.feeCharged };
  }
}
