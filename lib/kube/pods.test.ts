import { describe, expect, it } from 'vitest';
import { podCacheShape, slimPod, type Pod } from './pods';

// a pod as the apiserver returns one for a KubeSpawner notebook with an injected sidecar (abridged)
const fromApiserver = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'jupyter-alice',
    namespace: 'jupyterhub',
    uid: 'u-1',
    resourceVersion: '42',
    creationTimestamp: '2026-11-25T10:00:00Z',
    labels: { component: 'singleuser-server', 'hub.jupyter.org/username': 'alice' },
    annotations: {
      'hub.jupyter.org/username': 'Alice',
      'sidecar.istio.io/status': '{"containers":["istio-proxy"]}',
      'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(4000),
      'prometheus.io/scrape': 'true',
    },
    managedFields: [{ manager: 'kubelet', fieldsV1: { 'f:status': {} } }],
    ownerReferences: [],
  },
  spec: {
    nodeName: 'node-1',
    serviceAccountName: 'default',
    volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'claim-alice' } }],
    initContainers: [{ name: 'istio-proxy', image: 'istio/proxyv2:1.28.1', restartPolicy: 'Always', env: [{ name: 'A', value: 'b' }] }],
    containers: [
      {
        name: 'notebook',
        image: 'jupyter/base:1',
        ports: [{ name: 'notebook-port', containerPort: 8888, protocol: 'TCP' }],
        env: [{ name: 'JUPYTERHUB_API_TOKEN', value: 'secret' }],
        readinessProbe: { httpGet: { path: '/', port: 8888 } },
      },
    ],
  },
  status: {
    phase: 'Running',
    podIP: '10.0.0.5',
    hostIP: '192.168.0.1',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T10:00:05Z' }],
    initContainerStatuses: [
      { name: 'istio-proxy', ready: true, restartCount: 0, started: true, image: 'istio/proxyv2:1.28.1', imageID: 'sha', state: { running: { startedAt: 't' } } },
    ],
    containerStatuses: [
      {
        name: 'notebook',
        ready: false,
        restartCount: 3,
        image: 'jupyter/base:1',
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
      },
    ],
  },
} as unknown as Pod;

describe('slimPod', () => {
  const slim = slimPod(structuredClone(fromApiserver));

  it('keeps every field the console and route resolution read', () => {
    expect(slim.metadata).toEqual({
      name: 'jupyter-alice',
      namespace: 'jupyterhub',
      uid: 'u-1',
      resourceVersion: '42',
      creationTimestamp: '2026-11-25T10:00:00Z',
      deletionTimestamp: undefined,
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': 'alice' },
      annotations: { 'hub.jupyter.org/username': 'Alice', 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
    });
    expect(slim.spec?.nodeName).toBe('node-1');
    // the pod's identity in the mesh (spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccountName>)
    expect(slim.spec?.serviceAccountName).toBe('default');
    expect(slim.spec?.initContainers).toEqual([{ name: 'istio-proxy', image: 'istio/proxyv2:1.28.1', restartPolicy: 'Always', ports: undefined }]);
    expect(slim.spec?.containers[0]?.ports).toEqual([{ name: 'notebook-port', containerPort: 8888 }]);
    expect(slim.status?.podIP).toBe('10.0.0.5');
    expect(slim.status?.conditions).toEqual([{ type: 'Ready', status: 'True', reason: undefined }]);
    expect(slim.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(slim.status?.initContainerStatuses?.[0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: 't' } } });
  });

  it("keeps what ambient detection reads: istio-cni's redirection annotation and host networking", () => {
    const ambient = structuredClone(fromApiserver);
    ambient.metadata.annotations = { ...ambient.metadata.annotations, 'ambient.istio.io/redirection': 'enabled' };
    ambient.spec = { ...ambient.spec!, hostNetwork: true };
    const kept = slimPod(ambient);
    expect(kept.metadata.annotations?.['ambient.istio.io/redirection']).toBe('enabled');
    expect(kept.spec?.hostNetwork).toBe(true);
    expect(slim.spec?.hostNetwork).toBeUndefined();
  });

  it('drops what nobody reads, secrets in env included', () => {
    const text = JSON.stringify(slim);
    for (const dropped of ['managedFields', 'last-applied', 'prometheus.io', 'volumes', 'JUPYTERHUB_API_TOKEN', 'readinessProbe', 'hostIP', 'lastState', 'back-off']) {
      expect(text).not.toContain(dropped);
    }
    expect(text.length).toBeLessThan(JSON.stringify(fromApiserver).length / 5);
  });

  it('leaves the object it was given untouched, so a writer keeps what the apiserver answered', () => {
    const given = structuredClone(fromApiserver);
    slimPod(given);
    expect(given).toEqual(fromApiserver);
  });
});

describe('podCacheShape', () => {
  const pod = (name: string, image: string) => {
    const p = structuredClone(fromApiserver);
    p.metadata.name = name;
    p.spec!.containers[0]!.image = image;
    return p;
  };

  it('keeps what slimPod keeps', () => {
    const shape = podCacheShape();
    expect(shape(structuredClone(fromApiserver))).toEqual(slimPod(structuredClone(fromApiserver)));
  });

  it('holds equal containers and conditions once, frozen, across the pods of a cache', () => {
    const shape = podCacheShape();
    const [a, b] = [shape(pod('a', 'jupyter/base:1')), shape(pod('b', 'jupyter/base:1'))];
    expect(b.spec!.containers).toBe(a.spec!.containers);
    expect(b.status!.conditions).toBe(a.status!.conditions);
    expect(Object.isFrozen(a.spec!.containers[0])).toBe(true);
    expect(b.metadata.name).toBe('b');
    const other = shape(pod('c', 'jupyter/scipy:1'));
    expect(other.spec!.containers).not.toBe(a.spec!.containers);
    expect(other.spec!.containers[0]!.image).toBe('jupyter/scipy:1');
  });

  it('shares nothing between two caches', () => {
    expect(podCacheShape()(pod('a', 'x')).spec!.containers).not.toBe(podCacheShape()(pod('a', 'x')).spec!.containers);
  });
});
