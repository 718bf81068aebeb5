// A run's workspace files: the list, each downloadable (fetched with the session's key, since a
// plain link could not carry it).
import { useState } from "preact/hooks";
import { download, request } from "../api/http";
import { ErrorBox } from "./states";

interface WorkspaceFile {
  path: string;
  size: number;
  updated_at: string;
}

export function RunFiles({ runId, count }: { runId: string; count: number }) {
  const [files, setFiles] = useState<WorkspaceFile[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const base = `/v1/runs/${encodeURIComponent(runId)}/files`;

  const load = async () => {
    setError(null);
    try {
      setFiles((await request<{ files: WorkspaceFile[] }>(base)).files);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const save = async (path: string) => {
    setError(null);
    try {
      const blob = await download(`${base}/${path.split("/").map(encodeURIComponent).join("/")}`);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = path.split("/").at(-1) ?? path;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  if (count === 0) return <p class="state empty">No files in this run's workspace.</p>;
  return (
    <div>
      {files === null ? (
        <button type="button" onClick={() => void load()}>
          Show {count} file{count === 1 ? "" : "s"}
        </button>
      ) : (
        <ul aria-label="Files">
          {files.map((f) => (
            <li key={f.path}>
              <button type="button" class="link" onClick={() => void save(f.path)}>
                {f.path}
              </button>{" "}
              <span class="muted">{f.size} bytes</span>
            </li>
          ))}
        </ul>
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}
