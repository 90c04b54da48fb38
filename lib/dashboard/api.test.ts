import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProxyToken } from '../auth/proxy-token';
import type { ConfigMap } from '../kube/configmaps';
import type { KubeConnection } from '../kube/connection';
import { Informer } from '../kube/informer';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { KubeObject, ResourceBackend } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import { overviewAnswer } from './api';
import { DashboardState } from './state';

const log = pino({ level: 'silent' });
// never started: the overview only reads what the caches hold
const cache = <T extends KubeObject>() => new Informer<T>({} as ResourceBackend<T>, 'hub', undefined, log);

function overview(proxyToken: ProxyToken) {
  const virtualServices = { cache: cache<VirtualService>() };
  const pods = { cache: cache<Pod>() };
  const services = { cache: cache<Service>() };
  const dashboard = new DashboardState(
    { virtualServices: virtualServices.cache, pods: pods.cache, services: services.cache, mesh: {} },
    { namespace: 'hub', clusterDomain: 'cluster.local', notebookSelector: 'component=singleuser-server', istioVersion: undefined },
  );
  const connection = { mode: 'local', dataDir: '/data', namespace: 'hub' } as KubeConnection;
  // the stores stand in with just their caches, which is all the overview reads of them
  const sessionRevocations = { cache: cache<ConfigMap>() };
  const rt = { dashboard, virtualServices, pods, services, mesh: undefined, sessionRevocations, connection, gateway: 'hub/jupyterhub-gateway', proxyToken };
  return overviewAnswer(rt as unknown as Parameters<typeof overviewAnswer>[0]);
}

describe('overviewAnswer', () => {
  it('says the proxy token is short, and its length, but never the token', () => {
    const answer = overview({ token: 'abc', source: 'env' });
    expect(answer.proxyToken).toEqual({ short: true, length: 3, minimum: 16 });
    expect(JSON.stringify(answer)).not.toContain('abc');
  });

  it('says nothing more of a long token or of none', () => {
    const long = 'a-secret-token-of-32-characters!';
    const answer = overview({ token: long, source: 'env' });
    expect(answer.proxyToken).toEqual({ short: false });
    expect(JSON.stringify(answer)).not.toContain(long);
    expect(overview({ token: undefined, source: 'disabled' }).proxyToken).toEqual({ short: false });
  });

  it("lists the session revocations' cache with the others, without letting it decide whether the data is fresh", () => {
    const answer = overview({ token: undefined, source: 'disabled' });
    expect(Object.keys(answer.caches)).toEqual(['virtualservices', 'pods', 'services', 'session-revocations']);
    expect(answer.caches['session-revocations']).toMatchObject({ synced: false, objects: 0 });
  });

  it('still carries where hubmesh runs and its counts', () => {
    expect(overview({ token: 'abc', source: 'env' })).toMatchObject({ mode: 'local', cluster: { dataDir: '/data' }, namespace: 'hub', gateway: 'hub/jupyterhub-gateway', counts: { routes: 0, notebookPods: 0 } });
  });
});
