// `npm run dashboard`: writes ops/grafana/edgecrew.json from its typed definition
// (ops/grafana/dashboard.ts). test/ops/dashboard.node.test.ts fails when the file is out of date.

import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderDashboard } from "../ops/grafana/dashboard";

const out = resolve(import.meta.dirname, "../ops/grafana/edgecrew.json");
writeFileSync(out, renderDashboard());
console.log(`wrote ${out}`);
