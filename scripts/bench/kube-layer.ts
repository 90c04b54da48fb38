/**
 * Speed of hubmesh's Kubernetes layer on the real test control plane, each figure
 * beside an anchor measured in the same run (ratios, never absolute goals: machines are noisy).
 *
 *   writes   create / delete of one VirtualService through hubmesh's ResourceStore
 *            vs. client-node's generated CustomObjectsApi (the floor), interleaved call by call
 *   reads    all N VirtualServices from hubmesh's watch cache vs. a LIST from the apiserver
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../lib/config';
import { connect } from '../../lib/kube/connection';
import { ResourceStore } from '../../lib/kube/resource-store';
import { virtualServiceKind, type VirtualService } from '../../lib/kube/virtualservices';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { formatTable, percentile, type Row } from './stats';

const namespace = 'jupyterhub';
const runId = `bench-${Date.now().toString(36)}`;
const selector = `hubmesh.io/bench=${runId}`;
const objects = Number(process.env.BENCH_OBJECTS ?? 1000);
const writeIterations = Number(process.env.BENCH_WRITES ?? 200);
const readIterations = Number(process.env.BENCH_READS ?? 30);
const group = { group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices' };

const vs = (name: string): VirtualService => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, labels: { 'hubmesh.io/bench': runId } },
  spec: {
    hosts: ['*'],
    gateways: ['istio-system/jupyterhub-gateway'],
    http: [{ match: [{ uri: { prefix: `/user/${name}/` } }, { uri: { exact: `/user/${name}` } }], route: [{ destination: { host: `${name}.jupyterhub.svc.cluster.local`, port: { number: 8888 } } }] }],
  },
});

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function summary(name: string, samples: number[], anchor: number[] | undefined): Row {
  const p50 = percentile(samples, 50);
  const row: Row = { measure: name, n: samples.length, 'p50 ms': p50, 'p99 ms': percentile(samples, 99) };
  row['ratio p50'] = anchor ? p50 / percentile(anchor, 50) : 1;
  return row;
}

export async function runKubeLayerBench(): Promise<void> {
  const paths = ensureCluster('bench');
  const config = parseConfig({ KUBECONFIG: paths.appKubeconfig, HUBMESH_NAMESPACE: namespace });
  const connection = connect(config);
  const log = pino({ level: 'warn' });
  const store = new ResourceStore<VirtualService>(connection.backend(virtualServiceKind), namespace, selector, log);
  store.cache.start();
  if (!(await store.cache.waitForSync(10_000))) throw new Error('bench: the watch cache did not sync');
  const kc = new KubeConfig();
  kc.loadFromFile(paths.appKubeconfig);
  const raw = kc.makeApiClient(CustomObjectsApi);

  try {
    // writes, interleaved so both see the same apiserver load
    const rawCreate: number[] = [], rawDelete: number[] = [], hmCreate: number[] = [], hmDelete: number[] = [];
    for (let i = 0; i < writeIterations; i++) {
      const a = `raw-${i}`, b = `hm-${i}`;
      rawCreate.push(await timed(() => raw.createNamespacedCustomObject({ ...group, body: vs(a) })));
      hmCreate.push(await timed(() => store.create(vs(b))));
      rawDelete.push(await timed(() => raw.deleteNamespacedCustomObject({ ...group, name: a })));
      hmDelete.push(await timed(() => store.delete(b)));
    }
    const writes = [
      summary('create: client-node CustomObjectsApi (anchor)', rawCreate, undefined),
      summary('create: hubmesh ResourceStore', hmCreate, rawCreate),
      summary('delete: client-node CustomObjectsApi (anchor)', rawDelete, undefined),
      summary('delete: hubmesh ResourceStore', hmDelete, rawDelete),
    ];

    // reads of N objects
    for (let i = 0; i < objects; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, objects - i) }, (_, j) => store.create(vs(`seed-${i + j}`))));
    }
    const listSamples: number[] = [], cacheSamples: number[] = [];
    for (let i = 0; i < readIterations; i++) {
      listSamples.push(await timed(async () => {
        const list = (await raw.listNamespacedCustomObject({ ...group, labelSelector: selector })) as { items: unknown[] };
        if (list.items.length !== objects) throw new Error(`LIST returned ${list.items.length}, expected ${objects}`);
      }));
      cacheSamples.push(await timed(async () => {
        const items = store.cache.list();
        if (items.length !== objects) throw new Error(`cache held ${items.length}, expected ${objects}`);
        JSON.stringify(items);
      }));
    }
    const reads = [
      summary(`read ${objects} VirtualServices: apiserver LIST (anchor)`, listSamples, undefined),
      summary(`read ${objects} VirtualServices: watch cache + JSON`, cacheSamples, listSamples),
    ];

    const env = `node ${process.version}, ${connection.mode === 'cluster' ? connection.server : ''}`;
    console.log(`\nhubmesh bench: kube layer (${env})\n`);
    console.log(formatTable(writes));
    console.log('');
    console.log(formatTable(reads));
    const out = path.join(repoRoot, 'bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'kube-layer.json'), JSON.stringify({ at: new Date().toISOString(), env, writes, reads }, null, 2));
  } finally {
    store.cache.stop();
    const admin = new KubeConfig();
    admin.loadFromFile(paths.adminKubeconfig);
    await admin.makeApiClient(CustomObjectsApi).deleteCollectionNamespacedCustomObject({ ...group, labelSelector: selector });
  }
}
