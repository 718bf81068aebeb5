// How deeply JSON may nest, checked without recursion: on JSON text before it is parsed (request
// bodies, tool answers) and on values already parsed (what a model returns).

/**
 * Deepest nesting of arrays and objects accepted anywhere user JSON enters (128 levels; the
 * outermost object or array is level 1). Deep enough for any JSON Schema an agent may declare
 * (32 nested subschemas, two levels each, inside the agent body), and far below the depth at
 * which the runtime's recursive walks (JSON.stringify, structured clone for storage and RPC,
 * schema validation, canonical hashing) run out of stack, which is thousands of levels.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text nests arrays or objects deeper than `max` levels. One pass over the text,
 * skipping string contents; the text need not be valid JSON (malformed text is the parser's
 * concern), so this is safe to run before `JSON.parse`.
 */
export function jsonTextTooDeep(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Whether a value nests arrays or objects deeper than `max` levels (a primitive is level 0).
 * Walks with an explicit stack, so any depth, even a cyclic value, is answered without
 * exhausting the call stack: a cycle counts as too deep.
 */
export function valueTooDeep(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === "object") stack.push({ v: child, depth: depth + 1 });
  }
  return false;
}
