// The depth checks on JSON text and on parsed values: exact at the limit, blind to brackets inside
// strings, and safe on values far deeper than the call stack allows.
import { describe, expect, it } from "vitest";
import { jsonTextTooDeep, MAX_JSON_DEPTH, valueTooDeep } from "../../src/domain/json-depth";

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("jsonTextTooDeep", () => {
  it("counts arrays and objects: exactly the limit passes, one more does not", () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextTooDeep('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(jsonTextTooDeep('{"a":{"b":[1]}}', 2)).toBe(true);
    expect(jsonTextTooDeep('[1,{"x":2},[3]]', 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonTextTooDeep(JSON.stringify({ s: `"\\[${"[{".repeat(500)}` }), 1)).toBe(false);
    expect(jsonTextTooDeep('["\\\\", [[1]]]', 3)).toBe(false);
    expect(jsonTextTooDeep('["\\\\", [[1]]]', 2)).toBe(true);
  });

  it("answers for 200,000 levels without running out of stack", () => {
    expect(jsonTextTooDeep(nested(200_000))).toBe(true);
  });
});

describe("valueTooDeep", () => {
  it("exactly the limit passes, one more does not; primitives are level 0", () => {
    expect(valueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(valueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(valueTooDeep("text", 0)).toBe(false);
    expect(valueTooDeep({ a: [1, { b: null }] }, 3)).toBe(false);
    expect(valueTooDeep({ a: [1, { b: null }] }, 2)).toBe(true);
  });

  it("answers for a parsed value 50,000 deep and for a cyclic value", () => {
    expect(valueTooDeep(JSON.parse(nested(50_000)))).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(valueTooDeep(cyclic)).toBe(true);
  });
});
