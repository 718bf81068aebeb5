// Starts the local protocol servers once for the whole test run and provides their URLs to the
// tests (workerd tests read them from the SUPPORT_URLS binding, Node tests from inject()).
import type { TestProject } from "vitest/node";
import { startBrokenSupabase } from "./broken-supabase";
import { startEchoServer } from "./echo-server";
import { startExternalServices } from "./external-services";
import { startFakeAnthropic } from "./fake-anthropic";

export interface SupportUrls {
  [name: string]: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    supportUrls: SupportUrls;
  }
}

type Stopper = () => Promise<void>;

export default async function setup(project: TestProject): Promise<Stopper> {
  const urls: SupportUrls = {};
  const stops: Stopper[] = [];
  // Each local server registers itself here: urls.<name> = its base URL; stops.push(its close).
  const anthropic = await startFakeAnthropic();
  urls.anthropic = anthropic.url;
  stops.push(() => anthropic.close());
  const echo = await startEchoServer();
  urls.echo = echo.url;
  stops.push(() => echo.close());
  const external = await startExternalServices();
  Object.assign(urls, external.urls);
  stops.push(() => external.stop());
  const broken = await startBrokenSupabase();
  urls.postgrestBroken = broken.url;
  urls.postgrestBrokenSchema = broken.schema;
  stops.push(() => broken.stop());
  project.provide("supportUrls", urls);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
