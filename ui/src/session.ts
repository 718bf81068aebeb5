// The signed-in credential: an API key (or a Supabase access token) kept in sessionStorage, so it
// lasts for this browser tab only and never appears in a URL or in persistent storage.
import { signal } from "@preact/signals";

const KEY = "edgecrew.credential";

function read(): string | null {
  return sessionStorage.getItem(KEY);
}

/** The current credential, or null when signed out; components re-render when it changes. */
export const session = signal<string | null>(read());
/** Why the last session ended, shown on the sign-in page. */
export const signOutReason = signal<string | null>(null);

export function credential(): string | null {
  return session.value;
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key);
  signOutReason.value = null;
  session.value = key;
}

export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem(KEY);
  signOutReason.value = reason;
  session.value = null;
}
