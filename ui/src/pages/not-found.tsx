// A path the dashboard has no page for.
export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p class="state empty">
        There is no page here. <a href="/runs">Go to the runs</a>.
      </p>
    </section>
  );
}
