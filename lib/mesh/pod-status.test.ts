import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, Pod } from '../kube/pods';
import { inMesh, kubectlColumns, podStatus, summarizePod, type KubectlColumns } from './pod-status';
import { NOT_AMBIENT, SIDECAR_MESH } from './test-fixtures';

const T = '2026-01-01T00:00:00Z';
const NOTEBOOK: Container = { name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' };
const PROXY: Container = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' };
const NATIVE_PROXY: Container = { ...PROXY, restartPolicy: 'Always' };
const ISTIO_INIT: Container = { name: 'istio-init', image: 'docker.io/istio/proxyv2:1.28.1' };

type State = NonNullable<ContainerStatus['state']>;
const running: State = { running: { startedAt: T } };
const waiting = (reason: string): State => ({ waiting: { reason } });
const terminated = (t: { reason?: string; exitCode?: number; signal?: number }): State => ({ terminated: t as { reason?: string; exitCode?: number } });
const completed = terminated({ reason: 'Completed', exitCode: 0 });

const cs = (name: string, state: State, ready = false, restartCount = 0, started?: boolean): ContainerStatus => ({
  name,
  ready,
  restartCount,
  state,
  ...(started === undefined ? {} : { started }),
});

const ready = (status: boolean) => [
  { type: 'Initialized', status: 'True' },
  { type: 'Ready', status: status ? 'True' : 'False' },
  { type: 'ContainersReady', status: status ? 'True' : 'False' },
];

function pod(parts: {
  phase?: string;
  reason?: string;
  deletionTimestamp?: string;
  containers?: Container[];
  initContainers?: Container[];
  conditions?: Array<{ type: string; status: string; reason?: string }>;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}): Pod {
  return {
    metadata: { name: 'jupyter-alice', namespace: 'jupyterhub', creationTimestamp: T, deletionTimestamp: parts.deletionTimestamp },
    spec: { nodeName: 'kwok-node-0', containers: parts.containers ?? [NOTEBOOK, PROXY], initContainers: parts.initContainers },
    status: {
      phase: parts.phase,
      reason: parts.reason,
      conditions: parts.conditions,
      containerStatuses: parts.containerStatuses,
      initContainerStatuses: parts.initContainerStatuses,
    },
  };
}

const cases: Array<[string, Pod, KubectlColumns]> = [
  ['Pending with no statuses', pod({ phase: 'Pending' }), { status: 'Pending', readyContainers: 0, totalContainers: 2, restarts: 0 }],
  ['no phase at all (the apiserver defaults it to Pending)', pod({}), { status: 'Pending', readyContainers: 0, totalContainers: 2, restarts: 0 }],
  [
    'SchedulingGated',
    pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
    { status: 'SchedulingGated', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'ContainerCreating',
    pod({ phase: 'Pending', containerStatuses: [cs('notebook', waiting('ContainerCreating')), cs('istio-proxy', waiting('ContainerCreating'))] }),
    { status: 'ContainerCreating', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'ImagePullBackOff',
    pod({ phase: 'Pending', containerStatuses: [cs('notebook', waiting('ImagePullBackOff')), cs('istio-proxy', running, true)] }),
    { status: 'ImagePullBackOff', readyContainers: 1, totalContainers: 2, restarts: 0 },
  ],
  [
    'Running 2/2',
    pod({ phase: 'Running', conditions: ready(true), containerStatuses: [cs('notebook', running, true), cs('istio-proxy', running, true)] }),
    { status: 'Running', readyContainers: 2, totalContainers: 2, restarts: 0 },
  ],
  [
    // kubectl keeps the phase: a running container that is not ready changes READY, not STATUS
    'Running 1/2: the sidecar runs but is not ready',
    pod({ phase: 'Running', conditions: ready(false), containerStatuses: [cs('notebook', running, true), cs('istio-proxy', running, false)] }),
    { status: 'Running', readyContainers: 1, totalContainers: 2, restarts: 0 },
  ],
  [
    'CrashLoopBackOff',
    pod({
      phase: 'Running',
      conditions: ready(false),
      containerStatuses: [cs('notebook', waiting('CrashLoopBackOff'), false, 5), cs('istio-proxy', running, true, 1)],
    }),
    { status: 'CrashLoopBackOff', readyContainers: 1, totalContainers: 2, restarts: 6 },
  ],
  [
    // kubectl walks containers backwards: the first container's state has the last word
    'the first container wins when two are waiting',
    pod({ phase: 'Running', containerStatuses: [cs('notebook', waiting('CrashLoopBackOff')), cs('istio-proxy', waiting('ImagePullBackOff'))] }),
    { status: 'CrashLoopBackOff', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:0/1 while the init container runs',
    pod({
      phase: 'Pending',
      initContainers: [ISTIO_INIT],
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [cs('istio-init', running)],
      containerStatuses: [cs('notebook', waiting('PodInitializing')), cs('istio-proxy', waiting('PodInitializing'))],
    }),
    { status: 'Init:0/1', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:0/1 while the init container waits with PodInitializing',
    pod({ phase: 'Pending', initContainers: [ISTIO_INIT], initContainerStatuses: [cs('istio-init', waiting('PodInitializing'))] }),
    { status: 'Init:0/1', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:CrashLoopBackOff (RESTARTS counts the init container, as kubectl does)',
    pod({
      phase: 'Pending',
      initContainers: [ISTIO_INIT],
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [cs('istio-init', waiting('CrashLoopBackOff'), false, 3)],
      containerStatuses: [cs('notebook', waiting('PodInitializing')), cs('istio-proxy', waiting('PodInitializing'))],
    }),
    { status: 'Init:CrashLoopBackOff', readyContainers: 0, totalContainers: 2, restarts: 3 },
  ],
  [
    'Init:Error',
    pod({ phase: 'Failed', initContainers: [ISTIO_INIT], initContainerStatuses: [cs('istio-init', terminated({ reason: 'Error', exitCode: 1 }))] }),
    { status: 'Init:Error', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:ExitCode:2',
    pod({ phase: 'Pending', initContainers: [ISTIO_INIT], initContainerStatuses: [cs('istio-init', terminated({ exitCode: 2 }))] }),
    { status: 'Init:ExitCode:2', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:Signal:9',
    pod({ phase: 'Pending', initContainers: [ISTIO_INIT], initContainerStatuses: [cs('istio-init', terminated({ exitCode: 137, signal: 9 }))] }),
    { status: 'Init:Signal:9', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Init:1/2: the first init container is done, the second runs',
    pod({
      phase: 'Pending',
      initContainers: [ISTIO_INIT, { name: 'fetch-notebooks', image: 'alpine:3' }],
      initContainerStatuses: [cs('istio-init', completed), cs('fetch-notebooks', running)],
    }),
    { status: 'Init:1/2', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'Completed',
    pod({ phase: 'Succeeded', containers: [NOTEBOOK], containerStatuses: [cs('notebook', completed)] }),
    { status: 'Completed', readyContainers: 0, totalContainers: 1, restarts: 0 },
  ],
  [
    'Error',
    pod({ phase: 'Failed', containers: [NOTEBOOK], containerStatuses: [cs('notebook', terminated({ reason: 'Error', exitCode: 1 }))] }),
    { status: 'Error', readyContainers: 0, totalContainers: 1, restarts: 0 },
  ],
  [
    'ExitCode:137 when the runtime gave no reason',
    pod({ phase: 'Failed', containers: [NOTEBOOK], containerStatuses: [cs('notebook', terminated({ exitCode: 137 }))] }),
    { status: 'ExitCode:137', readyContainers: 0, totalContainers: 1, restarts: 0 },
  ],
  [
    'Signal:15 when the runtime gave no reason but a signal',
    pod({ phase: 'Failed', containers: [NOTEBOOK], containerStatuses: [cs('notebook', terminated({ exitCode: 143, signal: 15 }))] }),
    { status: 'Signal:15', readyContainers: 0, totalContainers: 1, restarts: 0 },
  ],
  [
    'OOMKilled',
    pod({
      phase: 'Running',
      containerStatuses: [cs('notebook', terminated({ reason: 'OOMKilled', exitCode: 137 }), false, 2), cs('istio-proxy', running, true)],
    }),
    { status: 'OOMKilled', readyContainers: 1, totalContainers: 2, restarts: 2 },
  ],
  [
    'Evicted (status.reason wins over the phase)',
    pod({ phase: 'Failed', reason: 'Evicted' }),
    { status: 'Evicted', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'NotReady: one container completed, another still runs, and the pod is not Ready',
    pod({ phase: 'Running', conditions: ready(false), containerStatuses: [cs('notebook', completed), cs('istio-proxy', running, true)] }),
    { status: 'NotReady', readyContainers: 1, totalContainers: 2, restarts: 0 },
  ],
  [
    'Running: one container completed, another still runs, and the pod is Ready',
    pod({ phase: 'Running', conditions: ready(true), containerStatuses: [cs('notebook', completed), cs('istio-proxy', running, true)] }),
    { status: 'Running', readyContainers: 1, totalContainers: 2, restarts: 0 },
  ],
  [
    'Terminating',
    pod({
      phase: 'Running',
      deletionTimestamp: T,
      conditions: ready(true),
      containerStatuses: [cs('notebook', running, true), cs('istio-proxy', running, true)],
    }),
    { status: 'Terminating', readyContainers: 2, totalContainers: 2, restarts: 0 },
  ],
  [
    'a deleted pod that already succeeded stays Completed',
    pod({ phase: 'Succeeded', deletionTimestamp: T, containers: [NOTEBOOK], containerStatuses: [cs('notebook', completed)] }),
    { status: 'Completed', readyContainers: 0, totalContainers: 1, restarts: 0 },
  ],
  [
    'Unknown: deleted on a lost node',
    pod({ phase: 'Running', reason: 'NodeLost', deletionTimestamp: T, containerStatuses: [cs('notebook', running, true), cs('istio-proxy', running, true)] }),
    { status: 'Unknown', readyContainers: 2, totalContainers: 2, restarts: 0 },
  ],
  [
    'a native sidecar pod shows Running 2/2, not Init',
    pod({
      phase: 'Running',
      containers: [NOTEBOOK],
      initContainers: [ISTIO_INIT, NATIVE_PROXY],
      conditions: ready(true),
      initContainerStatuses: [cs('istio-init', completed), cs('istio-proxy', running, true, 1, true)],
      containerStatuses: [cs('notebook', running, true, 2)],
    }),
    { status: 'Running', readyContainers: 2, totalContainers: 2, restarts: 3 },
  ],
  [
    'a native sidecar that started but is not ready: Running 1/2',
    pod({
      phase: 'Running',
      containers: [NOTEBOOK],
      initContainers: [NATIVE_PROXY],
      conditions: ready(false),
      initContainerStatuses: [cs('istio-proxy', running, false, 0, true)],
      containerStatuses: [cs('notebook', running, true)],
    }),
    { status: 'Running', readyContainers: 1, totalContainers: 2, restarts: 0 },
  ],
  [
    'a native sidecar that has not started yet holds the pod in Init',
    pod({
      phase: 'Pending',
      containers: [NOTEBOOK],
      initContainers: [ISTIO_INIT, NATIVE_PROXY],
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [cs('istio-init', completed), cs('istio-proxy', running, false, 0, false)],
      containerStatuses: [cs('notebook', waiting('PodInitializing'))],
    }),
    { status: 'Init:1/2', readyContainers: 0, totalContainers: 2, restarts: 0 },
  ],
  [
    'a native sidecar in CrashLoopBackOff before it ever started',
    pod({
      phase: 'Pending',
      containers: [NOTEBOOK],
      initContainers: [NATIVE_PROXY],
      initContainerStatuses: [cs('istio-proxy', waiting('CrashLoopBackOff'), false, 4, false)],
      containerStatuses: [cs('notebook', waiting('PodInitializing'))],
    }),
    { status: 'Init:CrashLoopBackOff', readyContainers: 0, totalContainers: 2, restarts: 4 },
  ],
];

describe("kubectl's READY, STATUS and RESTARTS columns", () => {
  it.each(cases)('%s', (_what, input, expected) => {
    expect(kubectlColumns(input)).toEqual(expected);
    expect(podStatus(input)).toBe(expected.status);
    expect(podStatus(input, new Date(0))).toBe(expected.status);
  });
});

describe('summarizePod', () => {
  it('fills every field of a KubeSpawner pod, user and server name from the annotations', () => {
    const input: Pod = {
      metadata: {
        name: 'jupyter-hideki-2dx',
        namespace: 'jupyterhub',
        creationTimestamp: T,
        labels: { component: 'singleuser-server', 'hub.jupyter.org/username': 'hideki-2dx', 'hub.jupyter.org/servername': 'gpu-2d1' },
        annotations: {
          'hub.jupyter.org/username': '秀樹.x',
          'hub.jupyter.org/servername': 'gpu-1',
          'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }),
        },
      },
      spec: { nodeName: 'kwok-node-0', containers: [NOTEBOOK, PROXY] },
      status: {
        phase: 'Running',
        podIP: '10.244.0.7',
        conditions: ready(true),
        containerStatuses: [cs('notebook', running, true, 1), cs('istio-proxy', running, true)],
      },
    };
    expect(summarizePod(input, SIDECAR_MESH)).toEqual({
      name: 'jupyter-hideki-2dx',
      namespace: 'jupyterhub',
      user: '秀樹.x',
      serverName: 'gpu-1',
      phase: 'Running',
      status: 'Running',
      readyContainers: 2,
      totalContainers: 2,
      restarts: 1,
      node: 'kwok-node-0',
      podIP: '10.244.0.7',
      createdAt: T,
      sidecar: { injected: true, native: false, ready: true, version: '1.28.1', optedOut: false },
      dataplane: 'sidecar',
      ambient: NOT_AMBIENT,
    });
  });

  it('falls back to the labels, keeps the default server as an empty name, and leaves unknown fields undefined', () => {
    const input: Pod = {
      metadata: { name: 'jupyter-bob', namespace: 'jupyterhub', labels: { 'hub.jupyter.org/username': 'bob', 'hub.jupyter.org/servername': '' } },
      spec: { containers: [NOTEBOOK] },
      status: { phase: 'Pending' },
    };
    expect(summarizePod(input, SIDECAR_MESH)).toEqual({
      name: 'jupyter-bob',
      namespace: 'jupyterhub',
      user: 'bob',
      serverName: '',
      phase: 'Pending',
      status: 'Pending',
      readyContainers: 0,
      totalContainers: 1,
      restarts: 0,
      node: undefined,
      podIP: undefined,
      createdAt: undefined,
      sidecar: { injected: false, native: false, ready: false, version: undefined, optedOut: false },
      dataplane: 'none',
      ambient: NOT_AMBIENT,
    });
  });

  it('has no user for a pod JupyterHub did not spawn', () => {
    const summary = summarizePod({ metadata: { name: 'hub-1' }, spec: { containers: [NOTEBOOK] } }, SIDECAR_MESH);
    expect(summary).toMatchObject({ user: undefined, serverName: undefined, namespace: '', phase: 'Pending', status: 'Pending' });
  });

  describe('the data plane', () => {
    const ambientNamespace = { namespaceLabels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }, waypoints: [{ namespace: 'jupyterhub', name: 'waypoint', for: 'all' as const }] };
    const notebook = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}, containers = [NOTEBOOK]): Pod => ({
      metadata: { name: 'jupyter-amy', namespace: 'jupyterhub', labels, annotations },
      spec: { containers },
      status: { phase: 'Running', containerStatuses: containers.map((c) => cs(c.name, running, true)) },
    });

    it('is ambient for a pod ztunnel enrolls, with the redirection and the waypoint as istio-cni and the labels say', () => {
      const summary = summarizePod(notebook({}, { 'ambient.istio.io/redirection': 'enabled' }), ambientNamespace);
      expect(summary.dataplane).toBe('ambient');
      expect(summary.sidecar.injected).toBe(false);
      expect(summary.ambient).toEqual({
        enrolled: true,
        enrolledBy: 'namespace',
        optedOut: false,
        redirected: true,
        waypoint: { namespace: 'jupyterhub', name: 'waypoint', found: true, ready: true, for: 'all', boundBy: 'namespace' },
      });
      expect(inMesh(summary)).toBe(true);
      expect(inMesh(summarizePod(notebook(), ambientNamespace))).toBe(false);
    });

    it("is the sidecar's for an injected pod in an ambient namespace: the sidecar wins", () => {
      const injected = notebook({}, { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) }, [NOTEBOOK, PROXY]);
      const summary = summarizePod(injected, ambientNamespace);
      expect(summary).toMatchObject({ dataplane: 'sidecar', ambient: { enrolled: false } });
      expect(inMesh(summary)).toBe(true);
    });

    it('is none for a pod that opts out of ambient, or where nothing enrolls it', () => {
      const optedOut = summarizePod(notebook({ 'istio.io/dataplane-mode': 'none' }), ambientNamespace);
      expect(optedOut).toMatchObject({ dataplane: 'none', ambient: { enrolled: false, optedOut: true } });
      expect(inMesh(optedOut)).toBe(false);
      expect(summarizePod(notebook(), SIDECAR_MESH).dataplane).toBe('none');
    });
  });
});
