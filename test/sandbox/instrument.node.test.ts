import { parse } from "acorn";
import { describe, expect, it } from "vitest";
import { instrument, TICK } from "../../src/sandbox/instrument";

function guarded(code: string): string {
  const out = instrument(code);
  if (!out.ok) throw new Error(`not instrumented: ${out.error.message}`);
  // The result must still be a valid module.
  parse(out.code, { ecmaVersion: "latest", sourceType: "module" });
  return out.code;
}

const ticks = (code: string) => code.split(`${TICK}()`).length - 1;

describe("run_code instrumentation", () => {
  it("guards every kind of loop body and function body", () => {
    const code = guarded(
      [
        "export default async (input) => {",
        "  for (;;) {}",
        "  while (true);",
        "  do x++; while (x < 3)",
        "  for (const k in input) continue;",
        "  for await (const v of input) {}",
        "  const f = (a) => ({ a });",
        "  function g() { return 1 }",
        "  class C { m() {} get p() { return 1 } }",
        "}",
      ].join("\n"),
    );
    // 5 loops + the default export + f + g + 2 methods
    expect(ticks(code)).toBe(10);
    expect(code).toContain(`const f = (a) => ((${TICK}(), { a }));`);
    expect(code).toContain(`do {${TICK}();x++;} while (x < 3)`);
  });

  it("keeps every line of the code on its line, so error positions stay true", () => {
    const source = "export default () => {\n  let n = 0;\n  while (n < 5) { n++; }\n  throw new Error('x');\n}";
    const lines = guarded(source).split("\n");
    source.split("\n").forEach((line, i) => {
      expect(lines[i]!.replaceAll(`${TICK}();`, "")).toBe(line);
    });
  });

  it("nests guards correctly where loops and arrows end together", () => {
    const code = guarded("export default () => { for (;;) g = () => 1 }");
    expect(code).toContain(`for (;;) {${TICK}();g = () => (${TICK}(), 1)}`);
  });

  it("reports a syntax error with its position", () => {
    const out = instrument("export default () => {\n  return 1 +;\n}");
    expect(out).toEqual({ ok: false, error: { name: "SyntaxError", message: "Unexpected token (2:12)" } });
  });

  it("refuses a module without a default export", () => {
    const out = instrument("export const run = () => 1;");
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error.message).toContain("no default export");
    expect(instrument("const run = () => 1; export { run as default };").ok).toBe(true);
  });

  it("refuses code that names the guard, so it cannot shadow or replace it", () => {
    for (const code of [
      `export default () => { const ${TICK} = () => {}; for (;;) {} }`,
      `import * as g from "./edgecrew-guard.js"; export default () => g.__edgecrew_arm();`,
    ]) {
      const out = instrument(code);
      expect(out.ok, code).toBe(false);
      expect(!out.ok && out.error.message).toContain("reserved");
    }
  });
});
