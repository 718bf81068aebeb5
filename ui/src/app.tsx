// The app shell: the sign-in page while signed out, else the navigation and the page of the URL.
import { LocationProvider, Route, Router } from "preact-iso";
import { Layout } from "./components/layout";
import { AgentsPage } from "./pages/agents";
import { ApprovalsPage } from "./pages/approvals";
import { CreditsPage } from "./pages/credits";
import { DlqPage } from "./pages/dlq";
import { EventsPage } from "./pages/events";
import { ExceptionsPage } from "./pages/exceptions";
import { FeedbackPage } from "./pages/feedback";
import { NotFound } from "./pages/not-found";
import { OperationsPage } from "./pages/operations";
import { RunPage } from "./pages/run";
import { RunsPage } from "./pages/runs";
import { SignIn } from "./pages/sign-in";
import { session } from "./session";

export function App() {
  if (!session.value) return <SignIn />;
  return (
    <LocationProvider>
      <Layout>
        <Router>
          <Route path="/" component={RunsPage} />
          <Route path="/runs" component={RunsPage} />
          <Route path="/runs/:id" component={RunPage} />
          <Route path="/approvals" component={ApprovalsPage} />
          <Route path="/dlq" component={DlqPage} />
          <Route path="/exceptions" component={ExceptionsPage} />
          <Route path="/feedback" component={FeedbackPage} />
          <Route path="/queues" component={OperationsPage} />
          <Route path="/credits" component={CreditsPage} />
          <Route path="/agents" component={AgentsPage} />
          <Route path="/agents/:name" component={AgentsPage} />
          <Route path="/events" component={EventsPage} />
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </LocationProvider>
  );
}
