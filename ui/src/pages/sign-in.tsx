// Sign in by pasting an API key: it is checked against the API first, and kept for this browser
// tab only (sessionStorage) once it works. A refused key shows the API's error and no data. When
// the deployment has Supabase sign-in, an email and password form as well.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { dashboardConfig } from "../api/supabase";
import { ErrorBox } from "../components/states";
import { SupabaseSignIn } from "../components/supabase-sign-in";
import { useResource } from "../hooks";
import { signIn, signOutReason } from "../session";

export function SignIn() {
  const [key, setKey] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const config = useResource(() => dashboardConfig(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError(new Error("Paste an API key first."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.credits(trimmed);
      signIn(trimmed);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>edgecrew</h1>
      <p>Sign in to watch and steer your runs.</p>
      {signOutReason.value && !error && (
        <p class="state notice" role="status">
          {signOutReason.value}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="help">
          Kept for this browser tab only; it is never put in a URL or saved on disk.
        </p>
        {error && <ErrorBox error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {config.data?.supabase && <SupabaseSignIn config={config.data.supabase} />}
    </main>
  );
}
