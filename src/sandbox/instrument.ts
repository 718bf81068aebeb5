// Prepares run_code's module before it is loaded: parses it (a syntax error is reported here, with
// its line and column), checks it has a default export, and puts a loop guard at the top of every
// loop body and function body, so runaway code ends even where nothing else stops it (locally,
// workerd enforces no CPU limit). Insertions keep every line of the code where it was.

import { type Node, parse, type Token } from "acorn";
import { simple } from "acorn-walk";
import MagicString from "magic-string";

/** Identifiers the guard uses; code may not name anything with this prefix. */
export const RESERVED_PREFIX = "__edgecrew";
/** The guard's tick, imported from the guard module under this name. */
export const TICK = `${RESERVED_PREFIX}_tick`;
/** Module name of the guard (see modules.ts). */
export const GUARD_MODULE = "edgecrew-guard.js";

/** An error as run_code reports it to the model. */
export interface SandboxError {
  name: string;
  message: string;
}

/** The code ready to load, or why it cannot be. */
export type Instrumented = { ok: true; code: string } | { ok: false; error: SandboxError };

type Ranged = Node & { body: Node & { start: number; end: number } };

function hasDefaultExport(program: { body: Node[] }): boolean {
  return program.body.some((n) => {
    if (n.type === "ExportDefaultDeclaration") return true;
    const named = n as Node & { specifiers?: { exported?: { name?: string; value?: unknown } | null }[]; exported?: unknown };
    if (n.type === "ExportNamedDeclaration") {
      return (named.specifiers ?? []).some((s) => s.exported?.name === "default" || s.exported?.value === "default");
    }
    if (n.type === "ExportAllDeclaration") {
      const exported = named.exported as { name?: string; value?: unknown } | null | undefined;
      return exported?.name === "default" || exported?.value === "default";
    }
    return false;
  });
}

/** Parses `code` as an ES module and returns it with loop guards, or the error the caller sees. */
export function instrument(code: string): Instrumented {
  const tokens: Token[] = [];
  let program: Node & { body: Node[] };
  try {
    program = parse(code, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true, onToken: tokens }) as Node & {
      body: Node[];
    };
  } catch (e) {
    // acorn's message carries the position, e.g. "Unexpected token (3:7)".
    return { ok: false, error: { name: "SyntaxError", message: e instanceof Error ? e.message : String(e) } };
  }
  // Every identifier, property name and label is a "name" token; none may take the guard's names.
  const reserved = (tokens as (Token & { value?: unknown })[]).find(
    (t) => t.type.label === "name" && String(t.value).startsWith(RESERVED_PREFIX),
  );
  if (reserved) {
    return {
      ok: false,
      error: { name: "SyntaxError", message: `names starting with ${RESERVED_PREFIX} are reserved (${reserved.value})` },
    };
  }
  if (!hasDefaultExport(program)) {
    return {
      ok: false,
      error: {
        name: "SyntaxError",
        message: "the module has no default export; write `export default async (input, { files }) => result`",
      },
    };
  }

  const out = new MagicString(code);
  const tick = `${TICK}();`;
  // acorn-walk's simple() calls back children before parents; closers are appended left in that
  // order (inner before outer) and openers prepended right (outer before inner) where they meet.
  const guardStatement = (node: Node) => {
    const body = (node as Ranged).body;
    if (body.type === "BlockStatement") out.prependRight(body.start + 1, tick);
    else {
      out.prependRight(body.start, `{${tick}`);
      out.appendLeft(body.end, "}");
    }
  };
  const guardFunction = (node: Node) => {
    const fn = node as Ranged;
    if (fn.body.type === "BlockStatement") out.prependRight(fn.body.start + 1, tick);
    else {
      // A concise arrow body becomes `(tick(), body)`: same value, and object literals stay wrapped.
      out.prependRight(fn.body.start, `(${TICK}(), `);
      out.appendLeft(fn.body.end, ")");
    }
  };
  simple(program, {
    ForStatement: guardStatement,
    ForInStatement: guardStatement,
    ForOfStatement: guardStatement,
    WhileStatement: guardStatement,
    DoWhileStatement: guardStatement,
    // "Function" is acorn-walk's pseudo-type for declarations, expressions, arrows and methods.
    Function: guardFunction,
  });
  // Imports are hoisted, so the guard's import goes last and no line of the code moves.
  out.append(`\n;import { ${TICK} } from "./${GUARD_MODULE}";\n`);
  return { ok: true, code: out.toString() };
}
