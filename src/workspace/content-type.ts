// Content types of workspace files: the default for a path, and which values a caller may give.

const TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

/** Longest content type accepted (127 characters). */
export const MAX_CONTENT_TYPE_LENGTH = 127;

const BY_EXTENSION: Record<string, string> = {
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  txt: "text/plain",
  md: "text/markdown",
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  xml: "application/xml",
  json: "application/json",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
  js: "text/javascript",
  mjs: "text/javascript",
  svg: "image/svg+xml",
  yaml: "application/yaml",
  yml: "application/yaml",
};

/** The content type a file gets when none is given: by extension, else plain text (UTF-8). */
export function defaultContentType(path: string): string {
  const dot = path.lastIndexOf(".");
  const ext = dot > path.lastIndexOf("/") ? path.slice(dot + 1).toLowerCase() : "";
  return `${BY_EXTENSION[ext] ?? "text/plain"}; charset=utf-8`;
}

/** Why `value` is not an acceptable content type (`type/subtype` with optional parameters), or null. */
export function contentTypeProblem(value: string): string | null {
  if (value.length === 0 || value.length > MAX_CONTENT_TYPE_LENGTH) return `must be 1 to ${MAX_CONTENT_TYPE_LENGTH} characters`;
  if (!MEDIA_TYPE.test(value)) return "must be a media type such as text/csv or application/json; charset=utf-8";
  return null;
}
