/** A healthy user server as plain objects, and the diagnosis input around it, for the diagnosis unit tests. */
import type { Pod } from '../kube/pods';
import type { ValidationSnapshot } from '../mesh/checkers/types';
import { hubRoute, NS, notebookPod, service, snapshot } from '../mesh/checkers/test-fixtures';
import { namespaceMtlsStatus } from '../mesh/mtls';
import { locateServer } from './server';
import type { DiagnoseInput, HopContext } from './types';

export const USER = 'alice';
export const SERVICE = `jupyter-${USER}`;
export const SERVICE_HOST = `${SERVICE}.${NS}.svc.cluster.local`;

/** A pod whose containers all report ready, as the kubelet does for a server that answers. */
export function ready(pod: Pod): Pod {
  const statuses = (pod.spec?.containers ?? []).map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: {} } }));
  return { ...pod, status: { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } };
}

/** alice's default server: her route, its Service (port "http" 8888) and her ready pod with a ready sidecar. */
export const healthyObjects = () => ({
  route: hubRoute(`/user/${USER}`, { service: SERVICE, user: USER, created: 10 }),
  service: service(SERVICE),
  pod: ready(notebookPod(SERVICE, USER)),
});

/** The snapshot of the healthy server, with `parts` replacing its lists. */
export function healthySnapshot(parts: Partial<ValidationSnapshot> = {}): ValidationSnapshot {
  const { route, service: svc, pod } = healthyObjects();
  return snapshot({ virtualServices: [route], services: [svc], pods: [pod], effectiveMtls: { [NS]: 'PERMISSIVE' }, ...parts });
}

/** The diagnosis input over a snapshot: the mTLS page's status of it, no identities or policies, no Prometheus, no hub API. */
export function diagnoseInput(snap: ValidationSnapshot = healthySnapshot(), parts: Partial<DiagnoseInput> = {}): DiagnoseInput {
  return {
    user: USER,
    server: '',
    snapshot: snap,
    mtls: namespaceMtlsStatus({ rootNamespace: snap.rootNamespace, peerAuthentications: snap.peerAuthentications, destinationRules: snap.destinationRules, autoMtls: true, namespace: NS, clusterDomain: snap.clusterDomain }),
    isolation: { identities: { gateway: [], hub: [], hubmesh: [], notebooks: [] }, policies: snap.authorizationPolicies, strict: false, hubPods: [] },
    expectedSidecarVersion: '1.28.1',
    traffic: { state: 'unconfigured' },
    hub: { state: 'unconfigured' },
    settings: { hubUrl: undefined, hosts: ['hub.example.org'], hostRouting: false },
    ...parts,
  };
}

/** A hop's context: the input with the server located in its snapshot. */
export function hopContext(input: DiagnoseInput = diagnoseInput()): HopContext {
  return { ...input, objects: locateServer(input.snapshot, input.user, input.server) };
}
