/**
 * Notebook isolation at scale, in this process, no control plane: who may reach every notebook, the hub and
 * hubmesh under the AuthorizationPolicies (analyzeIsolation, lib/mesh/authz/isolation.ts), that and the verdict,
 * and what "Isolate notebooks" plans (the analysis under today's policies and under the desired ones), vs. the
 * mTLS compliance verdict over the same pods (summarizePod and complianceVerdict, lib/mesh/compliance.ts) as the
 * anchor: the other per-refresh verdict of the mesh pages over every notebook pod. Each round runs every measure
 * once, starting one measure later than the round before.
 *
 * The scene: N notebook pods of N users (every tenth a named server, every fifth on a service account of its
 * own, so there are many notebook identities), the hub, hubmesh and two gateway pods; the three isolation
 * policies, an exception for every hundredth user, and three policies of other owners (a mesh-wide DENY, a CUSTOM
 * on the notebooks, an ALLOW on the hub's paths).
 *
 * Environment: BENCH_ISOLATION_PODS (notebook pods, default 1000,10000), BENCH_ISOLATION_RUNS (measured runs per
 * measure and size, 20; three more warm up first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuthorizationPolicy } from '../../lib/kube/authorizationpolicies';
import type { Pod } from '../../lib/kube/pods';
import { desiredIsolationPolicies, exceptionPolicy, type IsolationIdentities, type WorkloadSelectors } from '../../lib/mesh/authz/desired';
import { identitiesOf } from '../../lib/mesh/authz/identities';
import { analyzeIsolation, type IsolationInput } from '../../lib/mesh/authz/isolation';
import { isolationVerdict } from '../../lib/mesh/authz/verdict';
import { complianceVerdict } from '../../lib/mesh/compliance';
import { namespaceMtlsStatus } from '../../lib/mesh/mtls';
import { summarizePod } from '../../lib/mesh/pod-status';
import { repoRoot } from '../../test/cluster/harness';
import { formatTable, intList, intOf, percentile, rotatedSamples, type Row } from './stats';

const namespace = 'jupyterhub';
const root = 'istio-system';
const trustDomain = 'cluster.local';
const selectors: WorkloadSelectors = { notebooks: { component: 'singleuser-server' }, hub: { component: 'hub' }, hubmesh: { 'app.kubernetes.io/name': 'hubmesh' } };

function pod(name: string, podNamespace: string, labels: Record<string, string>, serviceAccountName: string, port: number, annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace: podNamespace, labels, annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}', ...annotations } },
    spec: { serviceAccountName, containers: [{ name: 'main', ports: [{ name: 'notebook-port', containerPort: port }] }], initContainers: [{ name: 'istio-proxy', image: 'istio/proxyv2:1.28.1', restartPolicy: 'Always' }] },
    status: { phase: 'Running', initContainerStatuses: [{ name: 'istio-proxy', ready: true, restartCount: 0 }], containerStatuses: [{ name: 'main', ready: true, restartCount: 0 }] },
  };
}

function notebook(k: number): Pod {
  const named = k % 10 === 9;
  const user = `u${named ? k - 1 : k}`;
  return pod(
    named ? `jupyter-${user}--lab` : `jupyter-${user}`,
    namespace,
    { component: 'singleuser-server', 'hub.jupyter.org/username': user },
    k % 5 === 0 ? `sa-${user}` : 'default',
    8888,
    { 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': named ? 'lab' : '' },
  );
}

const foreign = (name: string, policyNamespace: string, spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ metadata: { name, namespace: policyNamespace }, spec });

type Measure = { name: string; run: () => unknown };

export async function runIsolationBench(): Promise<void> {
  const sizes = intList('BENCH_ISOLATION_PODS', [1000, 10000]);
  const runs = intOf('BENCH_ISOLATION_RUNS', 20);
  const rows: Row[] = [];
  for (const n of sizes) {
    const started = performance.now();
    const notebooks = Array.from({ length: n }, (_, k) => notebook(k));
    const hub = [pod('hub-0', namespace, { component: 'hub' }, 'hub', 8081)];
    const hubmesh = [pod('hubmesh-0', namespace, { 'app.kubernetes.io/name': 'hubmesh' }, 'hubmesh', 3000)];
    const gateways = [0, 1].map((i) => pod(`istio-ingressgateway-${i}`, root, { istio: 'ingressgateway' }, 'istio-ingressgateway-service-account', 8080));
    const identities: IsolationIdentities = {
      gateway: identitiesOf('gateway', gateways, trustDomain),
      hub: identitiesOf('hub', hub, trustDomain),
      hubmesh: identitiesOf('hubmesh', hubmesh, trustDomain),
      notebooks: identitiesOf('notebook', notebooks, trustDomain),
    };
    const desired = desiredIsolationPolicies({ namespace, prefix: 'hubmesh', selectors, identities });
    const exceptions = Array.from({ length: Math.floor(n / 100) }, (_, i) =>
      exceptionPolicy({ namespace, prefix: 'hubmesh', trustDomain, selectors, exception: { name: `grader-${i}`, source: { namespace: 'courses', serviceAccount: 'grader' }, target: 'notebooks', user: `u${i * 100}`, reason: 'grading' } }),
    );
    const others = [
      foreign('deny-outside', root, { action: 'DENY', rules: [{ from: [{ source: { notNamespaces: [root, namespace, 'courses'] } }] }] }),
      foreign('ext-authz', namespace, { action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, selector: { matchLabels: selectors.notebooks }, rules: [{ to: [{ operation: { paths: ['/user/*/admin*'] } }] }] }),
      foreign('hub-paths', namespace, { selector: { matchLabels: selectors.hub }, rules: [{ to: [{ operation: { paths: ['/hub/health'], methods: ['GET'] } }] }] }),
    ];
    const today = [...others, ...exceptions];
    const isolated = [...today, ...desired];
    const input = (policies: AuthorizationPolicy[]): IsolationInput => ({ namespace, rootNamespace: root, trustDomain, identities, pods: { notebooks, hub, hubmesh }, policies, strict: false });
    // the scene's pods carry sidecars, in a namespace that injects them
    const sidecarMesh = { namespaceLabels: { 'istio-injection': 'enabled' }, waypoints: [] };
    const required = [...notebooks, ...hub, ...hubmesh].map((p) => ({ role: 'notebook' as const, pod: summarizePod(p, sidecarMesh) }));
    const mtls = namespaceMtlsStatus({ namespace, rootNamespace: root, clusterDomain: 'cluster.local', peerAuthentications: [], destinationRules: [], autoMtls: true });
    const quiet = { state: 'ok' as const, traffic: { window: '1h', flows: [], notebookToNotebook: [] } };
    const fixtureMs = performance.now() - started;

    // the figures are only worth something if the analysis does what it does in the server
    const verdict = isolationVerdict({ namespace, identities, analysis: analyzeIsolation(input(isolated)), telemetry: quiet, pods: required, gatewayLookup: 'bench' });
    if (!verdict.isolated) throw new Error(`bench: the isolated scene is not isolated: ${verdict.reasons.slice(0, 3).map((r) => r.message).join('; ')}`);
    if (isolationVerdict({ namespace, identities, analysis: analyzeIsolation(input(today)), telemetry: quiet, pods: required, gatewayLookup: 'bench' }).isolated) throw new Error('bench: the scene without isolation passes');

    const measures: Measure[] = [
      { name: 'mTLS compliance verdict over the same pods (anchor)', run: () => complianceVerdict({ namespace, config: mtls, telemetry: { state: 'unconfigured' }, pods: [...notebooks, ...hub, ...hubmesh].map((p) => ({ role: 'notebook' as const, pod: summarizePod(p, sidecarMesh) })) }) },
      { name: 'isolation analysis (who may reach every pod)', run: () => analyzeIsolation(input(isolated)) },
      { name: 'isolation analysis and verdict (the Isolation page)', run: () => isolationVerdict({ namespace, identities, analysis: analyzeIsolation(input(isolated)), telemetry: quiet, pods: required, gatewayLookup: 'bench' }) },
      { name: 'Isolate notebooks plan (analysis today and with the policies)', run: () => [analyzeIsolation(input(today)), analyzeIsolation(input(isolated))] },
    ];
    const samples = await rotatedSamples(measures, runs);
    const anchor = percentile(samples[0]!, 50);
    for (const [i, m] of measures.entries()) {
      const p50 = percentile(samples[i]!, 50);
      rows.push({ pods: n, measure: m.name, 'p50 ms': p50, 'p90 ms': percentile(samples[i]!, 90), 'µs/pod': (p50 * 1000) / n, 'ratio p50': p50 / anchor });
    }
    console.log(`bench: isolation, ${n} notebook pods (${identities.notebooks.length} notebook identities, ${isolated.length} AuthorizationPolicies): fixtures in ${(fixtureMs / 1000).toFixed(1)} s, ${runs} runs per measure`);
  }
  const env = `node ${process.version}`;
  console.log(`\nhubmesh bench: notebook isolation vs. the mTLS compliance verdict (${env})\n`);
  console.log(formatTable(rows));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'isolation.json'), JSON.stringify({ at: new Date().toISOString(), env, runs, rows }, null, 2));
}
