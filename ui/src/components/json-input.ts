// Parsing JSON a person typed: empty is "not given", anything else must parse.

/** `{}` when empty, `{ value }` when it parses, `{ error }` naming `field` otherwise. */
export function parseJsonField(field: string, text: string): { value?: unknown; error?: string } {
  if (!text.trim()) return {};
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `${field}: not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}
