// The path rules of a run's workspace: which names a file may have and which prefixes a listing
// may take. Pure: used by the file tools, run_code's binding, run creation and the files API.

/** Longest file path (200 characters). */
export const MAX_PATH_LENGTH = 200;

const CHARS = /^[A-Za-z0-9._/-]*$/;

/**
 * Why `path` cannot name a file, or null when it can: 1–200 characters of `[A-Za-z0-9._/-]`,
 * relative (no leading `/`), no `..` or `.` segment, no empty segment (`a//b`) and no trailing `/`,
 * so that each file has exactly one name.
 */
export function pathProblem(path: unknown): string | null {
  if (typeof path !== "string") return "must be a string";
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return `must be 1 to ${MAX_PATH_LENGTH} characters`;
  if (!CHARS.test(path)) return "may only contain letters, digits, '.', '_', '-' and '/'";
  if (path.startsWith("/")) return "must be relative (no leading '/')";
  if (path.endsWith("/")) return "must name a file (no trailing '/')";
  for (const segment of path.split("/")) {
    if (segment === "..") return "must not contain a '..' segment";
    if (segment === ".") return "must not contain a '.' segment";
    if (segment === "") return "must not contain an empty segment ('//')";
  }
  return null;
}

/** Why `prefix` cannot start a listing, or null: like a path, but may be empty or end with `/`. */
export function prefixProblem(prefix: unknown): string | null {
  if (typeof prefix !== "string") return "must be a string";
  if (prefix === "") return null;
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "") return "must be relative (no leading '/')";
  return pathProblem(trimmed);
}
