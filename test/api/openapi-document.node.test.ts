// The committed OpenAPI document is valid OpenAPI 3.1, checked by an independent validator.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";

const file = resolve(import.meta.dirname, "../../openapi.json");

describe("openapi.json", () => {
  it("passes an OpenAPI 3.1 schema validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(readFileSync(file, "utf8")));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("the validator refuses a document with a broken operation (so the check above can fail)", async () => {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    doc.paths["/v1/runs"].post.responses["202"] = { content: "not a media type map" };
    const result = await new Validator().validate(doc);
    expect(result.valid).toBe(false);
  });
});
