import type { RouteObject } from '../routes/route-objects';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProxyToken } from '../auth/proxy-token';
import type { ConfigMap } from '../kube/configmaps';
import { Informer, type InformerStatus } from '../kube/informer';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { KubeObject, ResourceBackend } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import { freshness, overviewAnswer, podsAnswer, routeDetailAnswer, routesAnswer, servicesAnswer, usersAnswer, type DashboardApiDeps } from './api';
import { DashboardState } from './state';

const log = pino({ level: 'silent' });
// never started: the answers only read what the caches hold
const cache = <T extends KubeObject>() => new Informer<T>({} as ResourceBackend<T>, 'hub', undefined, log);

function deps(proxyToken: ProxyToken = { token: undefined, source: 'disabled' }): DashboardApiDeps {
  const virtualServices = cache<RouteObject>();
  const pods = cache<Pod>();
  const services = cache<Service>();
  const state = new DashboardState(
    { virtualServices, pods, services, mesh: {} },
    { namespace: 'hub', clusterDomain: 'cluster.local', notebookSelector: 'component=singleuser-server', istioVersion: undefined },
  );
  return {
    state,
    caches: { virtualservices: virtualServices, pods, services },
    otherCaches: { 'session-revocations': cache<ConfigMap>() },
    services,
    virtualServices,
    routeData: () => undefined,
    placement: { mode: 'local', dataDir: '/data', namespace: 'hub' },
    gateway: 'hub/jupyterhub-gateway',
    routeApi: 'virtualservice',
    proxyToken,
    notebookSelector: 'component=singleuser-server',
  };
}

const status = (synced: boolean): InformerStatus => ({ synced, resourceVersion: '7', objects: 0, lastSyncAt: undefined, lastError: undefined, lastErrorStatus: undefined });

describe('overviewAnswer', () => {
  it('says the proxy token is short, and its length, but never the token', () => {
    const answer = overviewAnswer(deps({ token: 'abc', source: 'env' }));
    expect(answer.proxyToken).toEqual({ short: true, length: 3, minimum: 16 });
    expect(JSON.stringify(answer)).not.toContain('abc');
  });

  it('says nothing more of a long token or of none', () => {
    const long = 'a-secret-token-of-32-characters!';
    const answer = overviewAnswer(deps({ token: long, source: 'env' }));
    expect(answer.proxyToken).toEqual({ short: false });
    expect(JSON.stringify(answer)).not.toContain(long);
    expect(overviewAnswer(deps()).proxyToken).toEqual({ short: false });
  });

  it("lists the session revocations' cache with the others, without letting it decide whether the data is fresh", () => {
    const answer = overviewAnswer(deps());
    expect(Object.keys(answer.caches)).toEqual(['virtualservices', 'pods', 'services', 'session-revocations']);
    expect(answer.caches['session-revocations']).toMatchObject({ synced: false, objects: 0 });
  });

  it('still carries where hubmesh runs and its counts', () => {
    expect(overviewAnswer(deps())).toMatchObject({ mode: 'local', cluster: { dataDir: '/data' }, namespace: 'hub', gateway: 'hub/jupyterhub-gateway', routeApi: 'virtualservice', counts: { routes: 0, notebookPods: 0 } });
    expect(overviewAnswer({ ...deps(), routeApi: 'httproute' }).routeApi).toBe('httproute');
    const inCluster = { ...deps(), placement: { mode: 'cluster' as const, server: 'https://10.0.0.1:6443', context: 'kind', namespace: 'jupyterhub' } };
    expect(overviewAnswer(inCluster)).toMatchObject({ mode: 'cluster', cluster: { server: 'https://10.0.0.1:6443', context: 'kind' }, namespace: 'jupyterhub' });
  });
});

describe('freshness', () => {
  it("is synced only when the console's three caches are, whatever the others say", () => {
    const synced = { status: () => status(true) };
    const behind = { status: () => status(false) };
    const state = { currentVersion: 12, dashboard: () => deps().state.dashboard(), recentChanges: () => [] };
    expect(freshness({ state, caches: { virtualservices: synced, pods: synced, services: synced } })).toMatchObject({ version: 12, synced: true });
    expect(freshness({ state, caches: { virtualservices: synced, pods: behind, services: synced } })).toMatchObject({ version: 12, synced: false, caches: { pods: { synced: false } } });
  });
});

describe('the table answers', () => {
  it('answer with freshness and a page, or with the query parameter that is wrong', () => {
    const d = deps();
    expect(routesAnswer(d, new URLSearchParams('pageSize=10'))).toMatchObject({ version: 0, synced: false, routeApi: 'virtualservice', items: [], total: 0, page: 1, pageSize: 10 });
    expect(usersAnswer(d, new URLSearchParams())).toMatchObject({ items: [], total: 0 });
    expect(() => routesAnswer(d, new URLSearchParams('sort=colour'))).toThrow(expect.objectContaining({ status: 400, field: 'sort' }));
    expect(() => usersAnswer(d, new URLSearchParams('page=0'))).toThrow(expect.objectContaining({ status: 400, field: 'page' }));
  });

  it("pods carry the notebook selector they were chosen by", () => {
    expect(podsAnswer(deps(), new URLSearchParams())).toMatchObject({ selector: 'component=singleuser-server', items: [] });
  });
});

describe('routeDetailAnswer', () => {
  const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'hubmesh-user-alice', namespace: 'hub' } } as VirtualService;
  const row = { virtualService: 'hubmesh-user-alice', path: '/user/alice' };
  const detailDeps = (data: string | undefined) => ({
    state: { ...deps().state, dashboard: () => ({ ...deps().state.dashboard(), routes: [row as never] }) } as DashboardApiDeps['state'],
    virtualServices: { get: (name: string) => (name === vs.metadata.name ? vs : undefined) },
    routeData: (path: string) => (path === '/user/alice' ? data : undefined),
    routeApi: 'virtualservice' as const,
  });

  it('joins the row, the route data as sent and the object as YAML', () => {
    const answer = routeDetailAnswer(detailDeps('{"user":"alice","target":"http://a:8888"}'), 'hubmesh-user-alice');
    expect(answer).toEqual({ row, kind: 'VirtualService', data: { user: 'alice', target: 'http://a:8888' }, yaml: expect.stringContaining('name: hubmesh-user-alice') });
    expect(routeDetailAnswer(detailDeps(undefined), 'hubmesh-user-alice').data).toBeNull();
  });

  it('is a 404 naming the VirtualService it does not know', () => {
    expect(() => routeDetailAnswer(detailDeps(undefined), 'nope')).toThrow(expect.objectContaining({ status: 404, code: 'not-found', message: 'no route with VirtualService "nope"' }));
    expect(() => routeDetailAnswer({ ...detailDeps(undefined), routeApi: 'httproute' }, 'nope')).toThrow(expect.objectContaining({ status: 404, message: 'no route with HTTPRoute "nope"' }));
  });
});

describe('servicesAnswer', () => {
  it('lists the Services to choose a target from', () => {
    const services: Service[] = [
      { metadata: { name: 'web', namespace: 'hub' }, spec: { ports: [{ name: 'http', port: 80 }] } },
      { metadata: { name: 'api', namespace: 'hub' }, spec: { ports: [{ port: 8080 }] } },
    ];
    expect(servicesAnswer({ services: { list: () => services } })).toEqual({
      services: [
        { name: 'api', ports: [{ name: undefined, port: 8080 }] },
        { name: 'web', ports: [{ name: 'http', port: 80 }] },
      ],
    });
  });
});
