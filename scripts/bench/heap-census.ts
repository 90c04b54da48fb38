/**
 * Where a loaded server's memory goes: hubmesh's built server in cluster mode on the test control plane
 * holds N notebook pods (Running under kwok) and N routes; then a V8 heap snapshot is taken (SIGUSR2 with
 * --heapsnapshot-signal) and counted by what each object is: self size by constructor or kind, strings
 * apart. The same server's RSS and heap before the scene (idle) and with it are printed beside the census.
 *
 *   npx tsx scripts/bench/heap-census.ts        (CENSUS_N, default 10000; the snapshot is kept under bench-results/heap/)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../lib/kube/rest';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { startHubmesh } from '../../test/hubmesh-process';
import { notebookPod, podsPath, removeScene, routeBody, type List } from './dashboard-scene';
import { ApiClient, ensureBuiltForBench, runPool } from './load';
import { heapMb, memoryMb } from './process-memory';
import { formatTable, intOf } from './stats';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

/** Self size per "kind: name" (objects by constructor, strings, arrays, code, ...), largest first. */
function census(file: string): { what: string; count: number; mb: number }[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let k = 0; k < snap.nodes.length; k += fields.length) {
    const type = types[snap.nodes[k + typeAt]!]!;
    const name = snap.strings[snap.nodes[k + nameAt]!]!;
    const what = type === 'object' || type === 'closure' ? `${type}: ${name.slice(0, 60)}` : /string/.test(type) ? 'strings' : type;
    const t = totals.get(what) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += snap.nodes[k + sizeAt]!;
    totals.set(what, t);
  }
  return [...totals].map(([what, t]) => ({ what, count: t.count, mb: t.bytes / 2 ** 20 })).sort((a, b) => b.mb - a.mb);
}

async function main() {
  const n = intOf('CENSUS_N', 10_000);
  const paths = ensureCluster('bench');
  await ensureBuiltForBench(repoRoot);
  const out = path.join(repoRoot, 'bench-results', 'heap');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const suffix = randomBytes(4).toString('hex');
  const runLabel = `census-${suffix}`;
  const prefix = `census${suffix}`;
  const admin = new KubeConfig();
  admin.loadFromFile(paths.adminKubeconfig);
  const kube = new KubeRest(admin);
  const hm = await startHubmesh({
    kubeconfig: paths.appKubeconfig,
    prefix,
    env: { HUBMESH_LOG_LEVEL: 'warn', NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${out}` },
    readyTimeoutMs: 60_000,
  });
  const client = new ApiClient(hm.url, hm.token);
  const rows: { at: string; 'RSS MB': number; 'heap used MB': number; 'heap total MB': number }[] = [];
  const measure = async (at: string) => {
    const heap = await heapMb(hm.url);
    rows.push({ at, 'RSS MB': memoryMb(hm.pid)?.rss ?? Number.NaN, 'heap used MB': heap?.used ?? Number.NaN, 'heap total MB': heap?.total ?? Number.NaN });
  };
  try {
    await sleep(3000);
    await measure('idle');
    await runPool([...Array(n).keys()], 20, (i) => kube.request({ method: 'POST', path: podsPath, body: notebookPod(i, suffix, runLabel) }));
    await runPool([...Array(n).keys()], 10, (i) => client.expect(201, 'POST', `/api/routes/user/u${i}`, routeBody(i)));
    const deadline = Date.now() + 600_000;
    for (;;) {
      const left = (await kube.request<List>({ method: 'GET', path: podsPath, query: { labelSelector: `hubmesh.io/bench=${runLabel}`, fieldSelector: 'status.phase!=Running', limit: '1' } })).items.length;
      if (!left) break;
      if (Date.now() > deadline) throw new Error('census: the pods are not Running after 10 minutes');
      await sleep(2000);
    }
    await sleep(5000);
    await measure(`${n} routes, ${n} pods`);
    process.kill(hm.pid, 'SIGUSR2');
    let file: string | undefined;
    for (let last = -1; ; ) {
      await sleep(2000);
      file = readdirSync(out).find((f) => f.endsWith('.heapsnapshot'));
      const size = file ? statSync(path.join(out, file)).size : -1;
      if (file && size === last) break;
      last = size;
    }
    await measure('after the snapshot');
    console.log(`\nhubmesh heap census: ${n} routes and ${n} Running notebook pods (${file})\n`);
    console.log(formatTable(rows));
    console.log('');
    console.log(formatTable(census(path.join(out, file!)).slice(0, 30)));
  } finally {
    client.close();
    await hm.stop();
    for (const note of await removeScene(kube, { servicesCreated: [], podSelector: `hubmesh.io/bench=${runLabel}`, prefixes: [prefix] })) console.error(note);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
