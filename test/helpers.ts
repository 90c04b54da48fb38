import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { inject } from 'vitest';

export const HUB_NAMESPACE = 'jupyterhub';
export const testLog = pino({ level: process.env.HUBMESH_TEST_LOG_LEVEL ?? 'silent' });

export function kubeConfigFrom(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** Clients as the cluster admin (for setting the scene) and as hubmesh's own least-privilege identity. */
export function clients() {
  const admin = kubeConfigFrom(inject('adminKubeconfig'));
  const app = kubeConfigFrom(inject('appKubeconfig'));
  return {
    admin,
    app,
    adminCore: admin.makeApiClient(CoreV1Api),
    adminCustom: admin.makeApiClient(CustomObjectsApi),
    appCore: app.makeApiClient(CoreV1Api),
    appCustom: app.makeApiClient(CustomObjectsApi),
  };
}

export const uniqueName = (base: string) => `${base}-${randomBytes(3).toString('hex')}`;

/** Polls until check returns a value other than undefined, or fails with what it last saw. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** A notebook pod as KubeSpawner makes it, with the istio-proxy sidecar the injector would add, scheduled on the kwok node. */
export function notebookPod(name: string, username: string, options: { sidecar?: boolean } = {}): V1Pod {
  const containers = [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }];
  if (options.sidecar !== false) containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: {
        component: 'singleuser-server',
        'hub.jupyter.org/username': username,
        'hub.jupyter.org/servername': '',
      },
      annotations: (options.sidecar === false
        ? {}
        : { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'], initContainers: ['istio-init'] }) }) as Record<string, string>,
    },
    spec: {
      containers,
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

/**
 * Creates a test's scene objects in the hub namespace as the cluster admin; each is deleted by `cleanups`,
 * which the test runs (in reverse) after it.
 */
export function sceneCreators(cleanups: Array<() => Promise<unknown>>) {
  const { adminCore, adminCustom } = clients();
  const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
  return {
    async createPod(pod: V1Pod) {
      const name = pod.metadata!.name!;
      cleanups.push(() => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 }));
      await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: pod });
    },
    async createService(service: { metadata: { name: string } }) {
      cleanups.push(() => adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name: service.metadata.name }));
      await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: service as never });
    },
    async createVirtualService(body: { metadata: { name: string } }) {
      cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name: body.metadata.name }));
      await adminCustom.createNamespacedCustomObject({ ...vsGroup, body });
    },
  };
}
