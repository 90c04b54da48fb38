/**
 * The route backends side by side: the hub proxy API of the built server storing routes as VirtualServices
 * (the anchor) and as Gateway API HTTPRoutes (HUBMESH_ROUTE_API=httproute), on the same apiserver, in the same
 * run, each backend its own server and prefix, the two run in turn (ROUNDS times, alternating which goes first).
 *
 * The table is a hub's: its route at "/", then BENCH_ROUTEAPI_USERS users (300) POSTed one at a time, each with
 * a default server /user/u<i> and every fifth a named server /user/u<i>/lab, which lands under its user's route.
 * A VirtualService carries the rules of every route below it (Istio tries merged VirtualServices by age), so a
 * named server's POST rewrites its user's object too; an HTTPRoute holds only its own route (the Gateway API
 * tries the longest path first across routes). Per backend: POST and DELETE p50/p99 at c=1, the apiserver
 * writes per POST (hubmesh's own count of its PUTs, POSTs, PATCHes and DELETEs, from /metrics), and a spawn
 * storm of the same POSTs at c=10.
 *
 * Needs the test control plane with the Gateway API CRDs (npm run cluster:up) and a build (npm run build).
 * Environment: BENCH_ROUTEAPI_USERS (300), BENCH_ROUTEAPI_ROUNDS (2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureCluster } from '../../test/cluster/harness';
import { routeBackend, startHubmesh, type HubmeshProcess } from '../../test/hubmesh-process';
import { formatTable, intOf, percentile, type Row } from './stats';

const repoRoot = path.resolve(__dirname, '..', '..');
const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'DELETE'];

type Backend = 'virtualservice' | 'httproute';
type Sample = { post: number[]; stormPost: number[]; del: number[]; writesPerPost: number };

async function kubeWrites(hm: HubmeshProcess): Promise<number> {
  const text = await (await fetch(`${hm.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^hubmesh_kube_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/.exec(line);
    const verb = m && /verb="([A-Z]+)"/.exec(m[1]!)?.[1];
    if (m && verb && WRITE_VERBS.includes(verb)) total += Number(m[2]);
  }
  return total;
}

function tablePaths(users: number, tag: string): string[] {
  const paths: string[] = [];
  for (let i = 0; i < users; i++) {
    paths.push(`/user/${tag}u${i}`);
    if (i % 5 === 0) paths.push(`/user/${tag}u${i}/lab`);
  }
  return paths;
}

async function timed(call: () => Promise<Response>, expected: number): Promise<number> {
  const t0 = performance.now();
  const res = await call();
  await res.arrayBuffer();
  if (res.status !== expected) throw new Error(`bench: expected ${expected}, got ${res.status}`);
  return performance.now() - t0;
}

async function runBackend(backend: Backend, users: number, round: number, appKubeconfig: string): Promise<Sample> {
  const prefix = `ra${backend === 'httproute' ? 'h' : 'v'}${round}${Date.now().toString(36).slice(-4)}`;
  // each backend as the app's identity for it (the chart's grant), with its Gateway
  const identity = routeBackend(backend, appKubeconfig);
  const hm = await startHubmesh({
    kubeconfig: identity.kubeconfig,
    prefix,
    env: { HUBMESH_LOG_LEVEL: 'warn', ...identity.env },
    readyTimeoutMs: 60_000,
  });
  const post = (p: string, target: string) => () => hm.api(`/api/routes${p}`, { method: 'POST', body: JSON.stringify({ target, jupyterhub: true }) });
  try {
    await timed(post('/', 'http://hub:8081'), 201);
    const paths = tablePaths(users, 'a');
    const before = await kubeWrites(hm);
    const postMs: number[] = [];
    for (const [i, p] of paths.entries()) postMs.push(await timed(post(p, `http://jupyter-a${i}:8888`), 201));
    const writesPerPost = ((await kubeWrites(hm)) - before) / paths.length;
    const storm = tablePaths(Math.max(10, Math.floor(users / 3)), 's');
    const stormMs: number[] = [];
    for (let i = 0; i < storm.length; i += 10) {
      stormMs.push(...(await Promise.all(storm.slice(i, i + 10).map((p, j) => timed(post(p, `http://jupyter-s${i + j}:8888`), 201)))));
    }
    const delMs: number[] = [];
    for (const p of [...paths, ...storm, '/']) delMs.push(await timed(() => hm.api(`/api/routes${p}`, { method: 'DELETE' }), 204));
    return { post: postMs, stormPost: stormMs, del: delMs, writesPerPost };
  } finally {
    await hm.stop();
  }
}

export async function runRouteApiBench(): Promise<void> {
  const users = intOf('BENCH_ROUTEAPI_USERS', 300);
  const rounds = intOf('BENCH_ROUTEAPI_ROUNDS', 2);
  const { appKubeconfig } = ensureCluster('bench');
  const samples: Record<Backend, Sample[]> = { virtualservice: [], httproute: [] };
  for (let round = 0; round < rounds; round++) {
    const order: Backend[] = round % 2 ? ['httproute', 'virtualservice'] : ['virtualservice', 'httproute'];
    for (const backend of order) samples[backend].push(await runBackend(backend, users, round, appKubeconfig));
  }
  const merged = (backend: Backend, key: 'post' | 'stormPost' | 'del') => samples[backend].flatMap((s) => s[key]);
  const writes = (backend: Backend) => samples[backend].reduce((n, s) => n + s.writesPerPost, 0) / samples[backend].length;
  const rows: Row[] = [];
  for (const [op, key] of [['POST c=1', 'post'], ['POST storm c=10', 'stormPost'], ['DELETE c=1', 'del']] as const) {
    const anchor = percentile(merged('virtualservice', key), 50);
    for (const backend of ['virtualservice', 'httproute'] as const) {
      const p50 = percentile(merged(backend, key), 50);
      rows.push({
        measure: `${op}: ${backend}${backend === 'virtualservice' ? ' (anchor)' : ''}`,
        n: merged(backend, key).length,
        'p50 ms': p50,
        'p99 ms': percentile(merged(backend, key), 99),
        'ratio p50': p50 / anchor,
        'writes/POST': key === 'post' ? writes(backend) : '',
      });
    }
  }
  console.log(`\nroute backends: a hub at "/" and ${users} users (every fifth with a named server), ${rounds} rounds each, built server, app identity\n`);
  console.log(formatTable(rows));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'route-api.json'), `${JSON.stringify({ users, rounds, rows }, null, 2)}\n`);
}
