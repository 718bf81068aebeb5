// The Supabase half of the sign-in page: email and password, exchanged for an access token that
// the API must then accept before the session starts.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { type SupabaseConfig, supabasePasswordSignIn } from "../api/supabase";
import { signIn } from "../session";
import { ErrorBox } from "./states";

export function SupabaseSignIn({ config }: { config: SupabaseConfig }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await supabasePasswordSignIn(config, email.trim(), password);
      await api.credits(token);
      signIn(token);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-labelledby="supabase-title">
      <h2 id="supabase-title">Sign in with Supabase</h2>
      <div class="field">
        <label for="supabase-email">Email</label>
        <input id="supabase-email" type="email" autoComplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="supabase-password">Password</label>
        <input
          id="supabase-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      {error && <ErrorBox error={error} />}
      <button type="submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in with Supabase"}
      </button>
    </form>
  );
}
