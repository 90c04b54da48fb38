/**
 * `npm run bench`: hubmesh's speed on the real test control plane, each figure beside an anchor
 * measured in the same run (ratios, never absolute goals: machines are noisy).
 *
 *   kube    hubmesh's Kubernetes layer (ResourceStore, watch cache) vs. client-node and LIST
 *           → bench-results/kube-layer.json (kube-layer.ts)
 *   proxy   the hub proxy API served by the built server vs. raw VirtualService writes and
 *           configurable-http-proxy 5.3.0 → bench-results/proxy-api.json (proxy-api.ts)
 *   dashboard the admin console with 5,000 routes and 5,000 pods in Chromium, the console API and
 *           the server's RSS vs. a hubmesh with empty tables → bench-results/dashboard.json (dashboard.ts;
 *           its scene, page visits and report in dashboard-scene.ts, dashboard-visit.ts, dashboard-report.ts)
 *   memory  10,000 routes at the route-data limit: heap, RSS, the whole GET and a restart, in local and
 *           cluster mode, vs. configurable-http-proxy holding the same → bench-results/memory.json (memory.ts)
 *   json    the parse of request bodies (parseJson) vs. JSON.parse, in process, no control plane
 *           → bench-results/json-parse.json (json-parse.ts)
 *   circuit the circuit-breaker plan and pass at 1,000 and 10,000 notebook routes vs. the rate-limit
 *           EnvoyFilter render over the same routes, in process, no control plane
 *           → bench-results/circuit-breakers.json (circuit-breakers.ts)
 *   isolation  who may reach every notebook, the isolation verdict and the Isolate notebooks plan at 1,000 and
 *           10,000 notebook pods vs. the mTLS compliance verdict → bench-results/isolation.json (isolation.ts)
 *   traffic the traffic graph's PromQL per refresh at 100 and 1,000 notebooks (queries, series, Prometheus's samples and
 *           evaluation time with stats=all) and its build, vs. the mTLS traffic queries on the same Debian Prometheus
 *           → bench-results/traffic.json (traffic.ts)
 *   routeapi the hub proxy API storing routes as Gateway API HTTPRoutes vs. as VirtualServices (the anchor): POST
 *           and DELETE latency, apiserver writes per POST, a storm → bench-results/route-api.json (route-api.ts)
 *   image   the container image run as the chart runs it: ready time, RSS and stop vs. the same server
 *           from this checkout, and a warm build → bench-results/image.json (image.ts)
 *
 * BENCH_ONLY=kube, proxy, dashboard, memory, json, circuit, isolation, traffic, routeapi or image runs one section; each section documents its own variables.
 *
 * BENCH_BASELINE=<git ref> measures against that commit in the same run: each selected section runs in a
 * built worktree of the ref and in this checkout in turn, BENCH_BASELINE_ROUNDS times each (default 2),
 * and one table per section gives each headline figure's median in both, their ratio, and whether it is
 * within noise (the rounds' ranges overlap) → bench-results/baseline/ (baseline.ts, compare.ts).
 */
import { runAgainstBaseline } from './baseline';
import { runCircuitBreakerBench } from './circuit-breakers';
import { runIsolationBench } from './isolation';
import type { SectionName } from './compare';
import { runDashboardBench } from './dashboard';
import { runImageBench } from './image';
import { runJsonParseBench } from './json-parse';
import { runKubeLayerBench } from './kube-layer';
import { runMemoryBench } from './memory';
import { runProxyApiBench } from './proxy-api';
import { runTrafficBench } from './traffic';
import { runRouteApiBench } from './route-api';
import { intOf } from './stats';

const sections = { kube: runKubeLayerBench, proxy: runProxyApiBench, dashboard: runDashboardBench, memory: runMemoryBench, json: runJsonParseBench, circuit: runCircuitBreakerBench, isolation: runIsolationBench, traffic: runTrafficBench, routeapi: runRouteApiBench, image: runImageBench } satisfies Record<SectionName, () => Promise<void>>;

async function main() {
  const only = process.env.BENCH_ONLY?.trim();
  if (only && !(only in sections)) throw new Error(`bench: BENCH_ONLY must be one of ${Object.keys(sections).join(', ')}, got ${JSON.stringify(only)}`);
  const selected = (Object.keys(sections) as SectionName[]).filter((name) => !only || name === only);
  const baseline = process.env.BENCH_BASELINE?.trim();
  const started = performance.now();
  if (baseline) await runAgainstBaseline(baseline, selected, intOf('BENCH_BASELINE_ROUNDS', 2));
  else for (const name of selected) await sections[name]();
  console.log(`\nbench: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  // the kube client's keep-alive sockets would hold the process open
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
