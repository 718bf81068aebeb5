// The loading, empty and error states every page shows, and a resource renderer that picks one.
import type { ComponentChildren } from "preact";
import { ApiError } from "../api/http";
import type { Resource } from "../hooks";

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  const code = error instanceof ApiError ? error.code : "error";
  return (
    <div class="state error" role="alert">
      <strong>{code}</strong>: {error.message}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Renders `children(data)` once loaded; the loading or error state before that. */
export function Async<T>({ res, what, children }: { res: Resource<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (res.error && res.data === undefined) return <ErrorBox error={res.error} retry={() => void res.reload()} />;
  if (res.data === undefined) return <Loading what={what} />;
  return (
    <>
      {res.error && <ErrorBox error={res.error} retry={() => void res.reload()} />}
      {children(res.data)}
    </>
  );
}

/** A field's error from the API, shown under that field. */
export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="field-error" id={id} role="alert">
      {error}
    </p>
  );
}
