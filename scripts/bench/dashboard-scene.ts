/** The dashboard bench's scene on the test control plane: notebook pods, their Services and routes, and its removal. */
import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeRest } from '../../lib/kube/rest';
import { runPool } from './load';

export const namespace = 'jupyterhub';
export const podsPath = `/api/v1/namespaces/${namespace}/pods`;
export const servicesPath = `/api/v1/namespaces/${namespace}/services`;
const virtualServicesPath = `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`;
export type List<T = unknown> = { items: T[] };

const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.28.1';
const NOTEBOOK_IMAGE = 'quay.io/jupyter/base-notebook:2026-11-01';

export function notebookPod(i: number, suffix: string, runLabel: string): V1Pod {
  return {
    metadata: {
      name: `jupyter-u${i}-${suffix}`,
      labels: {
        component: 'singleuser-server',
        'hub.jupyter.org/username': `u${i}`,
        'hub.jupyter.org/servername': '',
        'hubmesh.io/bench': runLabel,
      },
      annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: null, containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null, revision: 'default' }) },
    },
    spec: {
      containers: [
        { name: 'notebook', image: NOTEBOOK_IMAGE, ports: [{ name: 'notebook-port', containerPort: 8888 }] },
        { name: 'istio-proxy', image: SIDECAR_IMAGE, args: ['proxy', 'sidecar'] },
      ],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

/** The Service KubeSpawner makes with services_enabled (headless here: the test cluster has 254 cluster IPs). */
export const notebookService = (i: number, runLabel: string) => ({
  metadata: { name: `jupyter-u${i}`, labels: { 'hubmesh.io/bench': runLabel } },
  spec: { clusterIP: 'None', selector: { component: 'singleuser-server', 'hub.jupyter.org/username': `u${i}` }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
});

export const routeBody = (i: number) => JSON.stringify({ target: `http://jupyter-u${i}:8888`, jupyterhub: true, user: `u${i}`, server_name: '' });

export function kubeError(error: unknown): string {
  const e = error as { status?: number; reason?: string; message?: string };
  return `${e.status ?? ''} ${e.reason ?? ''} ${e.message ?? String(error)}`;
}

/**
 * Deletes what the bench created: the Services it made, its pods (deletecollection, repeated until none is
 * left or 5 minutes passed) and the VirtualServices of its servers' prefixes. Answers with notes on what is left.
 */
export async function removeScene(kube: KubeRest, scene: { servicesCreated: number[]; podSelector: string; prefixes: string[] }): Promise<string[]> {
  const notes: string[] = [];
  const t0 = performance.now();
  // Services have no deletecollection
  await runPool(scene.servicesCreated, 20, async (i) => {
    try {
      await kube.request({ method: 'DELETE', path: `${servicesPath}/jupyter-u${i}` });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) console.error(`bench: deleting Service jupyter-u${i} failed: ${kubeError(error)}`);
    }
  }).catch(() => undefined);
  // the apiserver ends a deletecollection at its 60 s request timeout (it deletes ~80 pods/s here), so repeat it
  const deadline = Date.now() + 300_000;
  for (let attempt = 1; ; attempt++) {
    let left = -1;
    try {
      await kube.request({ method: 'DELETE', path: podsPath, query: { labelSelector: scene.podSelector, gracePeriodSeconds: '0' }, timeoutMs: 90_000 });
    } catch (error) {
      process.stderr.write(`bench: deletecollection of pods with ${scene.podSelector} (attempt ${attempt}) ended with: ${kubeError(error)}\n`);
    }
    try {
      left = (await kube.request<List>({ method: 'GET', path: podsPath, query: { labelSelector: scene.podSelector, limit: '1' } })).items.length;
    } catch (error) {
      process.stderr.write(`bench: listing pods with ${scene.podSelector} failed: ${kubeError(error)}\n`);
    }
    if (left === 0) break;
    if (Date.now() > deadline) {
      notes.push(`pods with ${scene.podSelector} are still there after ${attempt} deletecollection calls; delete them with: kubectl delete pods -n ${namespace} -l ${scene.podSelector} --grace-period=0 --force`);
      console.error(`bench: ${notes.at(-1)}`);
      break;
    }
    await sleep(1000);
  }
  for (const p of scene.prefixes) {
    const labelSelector = `hubmesh.io/prefix=${p}`;
    try {
      await kube.request({ method: 'DELETE', path: virtualServicesPath, query: { labelSelector }, timeoutMs: 120_000 });
      const left = await kube.request<List>({ method: 'GET', path: virtualServicesPath, query: { labelSelector } });
      if (left.items.length) console.error(`bench: ${left.items.length} VirtualServices with ${labelSelector} are left after clean-up`);
    } catch (error) {
      console.error(`bench: clean-up of VirtualServices with ${labelSelector} failed: ${kubeError(error)}`);
    }
  }
  process.stderr.write(`bench: clean-up took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return notes;
}
