// The frame of every signed-in page: a skip link, the navigation, sign out, and the page itself.
import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { signOut } from "../session";

const LINKS: [string, string][] = [
  ["/runs", "Runs"],
  ["/approvals", "Approvals"],
  ["/dlq", "Dead letters"],
  ["/exceptions", "Exceptions"],
  ["/feedback", "Feedback"],
  ["/queues", "Queues & workers"],
  ["/credits", "Credits"],
  ["/agents", "Agents"],
  ["/events", "Events & webhooks"],
];

export function Layout({ children }: { children: ComponentChildren }) {
  const { path } = useLocation();
  const current = (href: string) => path === href || path.startsWith(`${href}/`) || (href === "/runs" && path === "/");
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/runs">
          edgecrew
        </a>
        <nav aria-label="Main">
          <ul>
            {LINKS.map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={current(href) ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="secondary" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
