import type { RouteObject } from '../routes/route-objects';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Informer } from '../kube/informer';
import type { Pod } from '../kube/pods';
import type { PeerAuthentication } from '../kube/peerauthentications';
import type { Service } from '../kube/services';
import type { KubeObject, ResourceBackend } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import type { ObjectChange } from './live';
import { DashboardState } from './state';

const log = pino({ level: 'silent' });
// never started: the test writes into them with observe(), as a watch event would
const cache = <T extends KubeObject>() => new Informer<T>({} as ResourceBackend<T>, 'hub', undefined, log);

function dashboard() {
  const caches = {
    virtualServices: cache<RouteObject>(),
    pods: cache<Pod>(),
    services: cache<Service>(),
    peerAuthentications: { hub: cache<PeerAuthentication>(), root: cache<PeerAuthentication>() },
  };
  const state = new DashboardState(
    {
      virtualServices: caches.virtualServices,
      pods: caches.pods,
      services: caches.services,
      mesh: { 'peerauthentications@hub': caches.peerAuthentications.hub, 'peerauthentications@root': caches.peerAuthentications.root },
    },
    { namespace: 'hub', clusterDomain: 'cluster.local', notebookSelector: 'component=singleuser-server', istioVersion: undefined },
  );
  return { caches, state };
}

const object = <T extends KubeObject>(name: string, namespace: string, resourceVersion = '1') => ({ metadata: { name, namespace, resourceVersion } }) as T;

describe('DashboardState', () => {
  it("tells its listeners each change's kind, the object's name and the new version", () => {
    const { caches, state } = dashboard();
    const changes: ObjectChange[] = [];
    state.onChange((c) => changes.push(c));
    caches.pods.observe('ADDED', object<Pod>('jupyter-a', 'hub'));
    caches.services.observe('ADDED', object<Service>('jupyter-a', 'hub'));
    caches.virtualServices.observe('ADDED', object<VirtualService>('hubmesh-user-a', 'hub'));
    caches.peerAuthentications.hub.observe('ADDED', object<PeerAuthentication>('default', 'hub'));
    caches.peerAuthentications.root.observe('ADDED', object<PeerAuthentication>('default', 'istio-system'));
    expect(changes).toEqual([
      { version: 1, kind: 'pods', name: 'jupyter-a' },
      { version: 2, kind: 'services', name: 'jupyter-a' },
      { version: 3, kind: 'virtualservices', name: 'hubmesh-user-a' },
      { version: 4, kind: 'peerauthentications', name: 'default' },
      // outside the hub namespace an object is named with its namespace
      { version: 5, kind: 'peerauthentications', name: 'istio-system/default' },
    ]);
    expect(state.currentVersion).toBe(5);
  });

  it('keeps listing the latest changes for the overview as before, newest first', () => {
    const { caches, state } = dashboard();
    caches.pods.observe('ADDED', object<Pod>('jupyter-a', 'hub'));
    caches.peerAuthentications.root.observe('ADDED', object<PeerAuthentication>('default', 'istio-system'));
    caches.pods.observe('DELETED', object<Pod>('jupyter-a', 'hub', '2'));
    expect(state.recentChanges().map(({ kind, type, name }) => ({ kind, type, name }))).toEqual([
      { kind: 'pod', type: 'DELETED', name: 'jupyter-a' },
      { kind: 'mesh', type: 'ADDED', name: 'peerauthentications@root: istio-system/default' },
      { kind: 'pod', type: 'ADDED', name: 'jupyter-a' },
    ]);
  });

  it('stops telling a listener that unsubscribed', () => {
    const { caches, state } = dashboard();
    const changes: ObjectChange[] = [];
    const unsubscribe = state.onChange((c) => changes.push(c));
    unsubscribe();
    caches.pods.observe('ADDED', object<Pod>('jupyter-a', 'hub'));
    expect(changes).toEqual([]);
  });
});
