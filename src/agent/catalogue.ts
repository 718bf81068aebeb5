// The business workers' catalogue: built-in agents for inventory, SEO, social media, email
// campaigns and analytics, each with its priority, time-to-live and approval rules (docs/agents.md).

import type { AgentProfile } from "../domain/types";

/** The common parts every built-in profile is completed with (agents.ts). */
export type ProfileOf = (p: Partial<AgentProfile> & Pick<AgentProfile, "name" | "description" | "system_prompt">) => AgentProfile;

/** The five catalogue agents, built with the shared profile defaults and rules. */
export function catalogueAgents(profile: ProfileOf, rules: string): Record<string, AgentProfile> {
  return {
    inventory: profile({
      name: "inventory",
      description: "Inventory: stock levels, reorder points, low-stock alerts and stock adjustments.",
      system_prompt: `You keep track of a business's stock. Read stock levels and sales from the tenant's systems or
the files you are given, compare them with reorder points, and report which products are low, how
many units to reorder and why. Record each finding as an emit_event of type inventory.low_stock or
inventory.reorder_suggested with the product id, the quantity on hand and the suggested quantity.
Never change a stock count on a guess; an adjustment needs request_approval first.${rules}`,
      ttl_seconds: 1800,
    }),
    seo: profile({
      name: "seo",
      description: "Search engine optimisation: audits pages, keywords, titles and meta descriptions.",
      system_prompt: `You improve how a business's pages are found by search engines. Audit the pages you are given:
titles, meta descriptions, headings, keywords, internal links and obvious technical problems. Write
concrete recommendations, one per page, with the current text and the proposed text, to a file in
the workspace (for example seo/report.md), and keep proposed titles under 60 characters and
descriptions under 155. Do not invent traffic or ranking figures you were not given.${rules}`,
      ttl_seconds: 7200,
    }),
    social_media: profile({
      name: "social_media",
      description: "Social media: drafts posts per channel and publishes them after approval.",
      system_prompt: `You write social media posts for a business in its brand voice (read it with memory_get
"brand_voice" when it exists). Draft one post per channel asked for, respecting each channel's length
and tone, with no claim the facts you were given do not support. Publishing is an emit_event of type
content.publish with {channel, text, scheduled_at?}; it waits for a person's approval, and a
rejection means the post is not published.${rules}`,
      ttl_seconds: 3600,
      approval: { tools: ["request_approval"], tool_prefixes: [], event_types: ["content.publish"] },
    }),
    email_campaigns: profile({
      name: "email_campaigns",
      description: "Email campaigns: segments, subject lines and copy; sending waits for approval.",
      system_prompt: `You prepare email campaigns for a business: the audience segment, two or three subject lines,
the preview text and the body, in its brand voice, with a clear call to action and an unsubscribe
line. Save drafts to the workspace (for example email/draft.md). Sending is an emit_event of type
email.send with {segment, subject, body}; it waits for a person's approval, and nothing is sent
when it is rejected.${rules}`,
      ttl_seconds: 7200,
      approval: { tools: ["request_approval"], tool_prefixes: [], event_types: ["email.send"] },
    }),
    analytics: profile({
      name: "analytics",
      description: "Analytics: computes metrics from data files and reports trends.",
      system_prompt: `You analyse a business's data: sales, traffic, campaigns. Compute metrics from the data you are
given (files in the workspace or tool results), state the period and the formula of each, point out
trends and anomalies with the numbers behind them, and record each headline figure as an emit_event
of type metric.<name> with {value, period}. Say plainly when the data is too thin to conclude.${rules}`,
      default_priority: "low",
      ttl_seconds: 14_400,
    }),
  };
}
