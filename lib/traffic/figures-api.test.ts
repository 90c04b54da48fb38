import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import { renderRouteVirtualService } from '../routes/virtualservice';
import { routeTrafficAnswer, sparklinesAnswer, userTrafficAnswer, type FiguresApiDeps } from './figures-api';
import { PrometheusError } from '../telemetry/prometheus';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const ctx = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const route = (path: string, user: string | undefined, serverName: string, service: string): VirtualService =>
  renderRouteVirtualService(
    { path, data: { target: `http://${service}:8888`, ...(user === undefined ? {} : { user, server_name: serverName }) }, lastActivity: '2026-11-24T09:00:00.000Z' },
    { host: `${service}.hub.svc.cluster.local`, port: 8888 },
    ctx,
  );
const notebook = (name: string, user: string, server: string): Pod => ({
  metadata: { name, namespace: 'hub', labels: { component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': server } },
  spec: { containers: [{ name: 'notebook', image: 'nb' }] },
  status: { phase: 'Running' },
});
const service = (name: string, selector: Record<string, string>): Service => ({ metadata: { name, namespace: 'hub' }, spec: { selector, ports: [{ port: 8888 }] } });

const routes = [
  route('/user/alice', 'alice', '', 'jupyter-alice'),
  route('/user/alice/gpu', 'alice', 'gpu', 'jupyter-alice--gpu'),
  route('/user/bob@example.org', 'bob@example.org', '', 'jupyter-bob'),
  route('/', undefined, '', 'hub'),
];
const pods = [notebook('jupyter-alice', 'alice', ''), notebook('jupyter-erin', 'erin', '')];

/** Prometheus recording every query it is asked, answering nothing, or failing with `error`. */
function recorder(error?: Error) {
  const asked: string[] = [];
  const answer = async (query: string) => {
    asked.push(query);
    if (error) throw error;
    return [];
  };
  return { asked, client: { queryVector: answer, queryRange: answer } };
}

function deps(over: Partial<FiguresApiDeps> = {}): FiguresApiDeps {
  return {
    namespace: 'hub',
    config: {
      proxy: { gateway: undefined, hosts: ['*'], prefix: 'hubmesh', clusterDomain: 'cluster.local' },
      mesh: { rootNamespace: 'istio-system', autoMtls: true, istioRevision: undefined, gatewaySelector: {}, gatewayTlsSecret: undefined, gatewayNamespace: 'istio-system', trustDomain: 'cluster.local', prometheusUrl: undefined },
      notebookSelector: 'component=singleuser-server',
    },
    virtualServices: { list: () => routes },
    services: { list: () => [service('jupyter-alice', { 'hub.jupyter.org/username': 'alice' })] },
    pods: { list: () => pods },
    prometheus: recorder().client,
    log: pino({ level: 'silent' }),
    now: () => NOW,
    ...over,
  };
}

const params = (text = '') => new URLSearchParams(text);
const vsName = (i: number) => routes[i]!.metadata.name;

describe('traffic answers', () => {
  it('say when Prometheus is not configured, after telling an unknown route or user apart', async () => {
    const unconfigured = deps({ prometheus: undefined });
    expect(await routeTrafficAnswer(unconfigured, vsName(0), params())).toEqual({ configured: false });
    expect(await userTrafficAnswer(unconfigured, 'alice', params())).toEqual({ configured: false });
    expect(await sparklinesAnswer(unconfigured, params('kind=users&names=alice'))).toEqual({ configured: false });
    await expect(routeTrafficAnswer(unconfigured, 'hubmesh-nope', params())).rejects.toMatchObject({ status: 404, code: 'not-found' });
    await expect(userTrafficAnswer(unconfigured, 'nobody', params())).rejects.toMatchObject({ status: 404 });
  });

  it("find a user's servers from the hub's routes and the notebook pods, and refuse a server they do not have", async () => {
    const answer = await userTrafficAnswer(deps(), 'alice', params('window=1h'));
    if (!answer.configured) throw new Error('configured');
    expect(answer.servers.map((s) => [s.serverName, s.routes.map((r) => r.path), s.services, s.pods])).toEqual([
      ['', ['/user/alice'], ['jupyter-alice.hub.svc.cluster.local'], ['jupyter-alice']],
      ['gpu', ['/user/alice/gpu'], ['jupyter-alice--gpu.hub.svc.cluster.local'], []],
    ]);
    expect(answer.services).toEqual(['jupyter-alice--gpu.hub.svc.cluster.local', 'jupyter-alice.hub.svc.cluster.local']);
    const gpu = await userTrafficAnswer(deps(), 'alice', params('server=gpu'));
    expect(gpu.configured && gpu.servers.map((s) => s.serverName)).toEqual(['gpu']);
    const byDefault = await userTrafficAnswer(deps(), 'alice', params('server='));
    expect(byDefault.configured && byDefault.servers.map((s) => s.serverName)).toEqual(['']);
    await expect(userTrafficAnswer(deps(), 'alice', params('server=cpu'))).rejects.toMatchObject({ status: 404, message: 'user "alice" has no server "cpu"' });
  });

  it('ask the same queries for one host as for many, and only the websockets of a user without a route', async () => {
    const one = recorder();
    await routeTrafficAnswer(deps({ prometheus: one.client }), vsName(0), params());
    const two = recorder();
    await userTrafficAnswer(deps({ prometheus: two.client }), 'alice', params());
    expect(one.asked).toHaveLength(10);
    expect(two.asked).toHaveLength(10);
    expect(two.asked[0]).toContain('destination_service=~"jupyter-alice--gpu\\\\.hub\\\\.svc\\\\.cluster\\\\.local|jupyter-alice\\\\.hub');
    const podOnly = recorder();
    const erin = await userTrafficAnswer(deps({ prometheus: podOnly.client }), 'erin', params());
    expect(podOnly.asked).toEqual(['sum by (pod, pod_name) (envoy_http_downstream_cx_upgrades_active{namespace="hub"})']);
    expect(erin).toMatchObject({ services: [], figures: { requestsPerSecond: 0, websockets: null }, websocketsNote: 'not exported (add envoy_http_downstream_cx_upgrades_active to proxyStatsMatcher)' });
  });

  it('evaluate at the time asked, over a grid ending there, each point over at least the step', async () => {
    const answer = await routeTrafficAnswer(deps(), vsName(0), params(`window=6h&rate=30s&time=${NOW / 1000 - 3600}`));
    if (!answer.configured) throw new Error('configured');
    expect(answer.time).toBe(NOW / 1000 - 3600);
    expect(answer.series.step).toBe(180);
    expect(answer.series.rateWindowSeconds).toBe(180);
    expect(answer.series.points).toHaveLength(121);
    expect(answer.series.points.at(-1)!.time).toBe(Math.floor((NOW / 1000 - 3600) / 180) * 180);
  });

  it('draw sparklines in two queries, listing the names that are no route or user', async () => {
    const p = recorder();
    const answer = await sparklinesAnswer(deps({ prometheus: p.client }), params('kind=users&names=alice,nobody,bob@example.org,erin'));
    expect(p.asked).toHaveLength(2);
    expect(answer).toMatchObject({ configured: true, kind: 'users', unknown: ['nobody'] });
    expect(answer.configured && answer.sparklines.map((s) => [s.name, s.requestsPerSecond, s.points.length])).toEqual([
      ['alice', 0, 61],
      ['bob@example.org', 0, 61],
      ['erin', 0, 61],
    ]);
  });

  it('refuse bad input with the parameter at fault', async () => {
    await expect(routeTrafficAnswer(deps(), 'Bad_Name', params())).rejects.toMatchObject({ status: 400, field: 'name' });
    await expect(routeTrafficAnswer(deps(), vsName(0), params('window=0s'))).rejects.toMatchObject({ status: 400, field: 'window' });
    await expect(routeTrafficAnswer(deps(), vsName(0), params('time=yesterday'))).rejects.toMatchObject({ status: 400, field: 'time' });
    await expect(userTrafficAnswer(deps(), 'a\u0000b', params())).rejects.toMatchObject({ status: 400, field: 'user' });
    await expect(userTrafficAnswer(deps(), 'x'.repeat(256), params())).rejects.toMatchObject({ status: 400, field: 'user' });
    await expect(userTrafficAnswer(deps(), 'alice', params('server=a/b'))).rejects.toMatchObject({ status: 400, field: 'server' });
    const many = Array.from({ length: 101 }, (_, i) => `u${i}`).join(',');
    await expect(sparklinesAnswer(deps(), params(`kind=users&names=${many}`))).rejects.toMatchObject({ status: 400, field: 'names' });
    await expect(sparklinesAnswer(deps(), params('kind=routes&names=ok,Not_OK'))).rejects.toMatchObject({ status: 400, field: 'names', message: 'names: "Not_OK" must be a route\'s VirtualService name: lower-case letters, digits, \'-\' and \'.\'' });
  });

  it('answer 503 prometheus-unavailable when Prometheus cannot answer, and pass a bad query on', async () => {
    const down = recorder(new PrometheusError('unreachable', 'Prometheus at http://p:9090 is unreachable: ECONNREFUSED'));
    await expect(routeTrafficAnswer(deps({ prometheus: down.client }), vsName(0), params())).rejects.toMatchObject({ status: 503, code: 'prometheus-unavailable' });
    await expect(sparklinesAnswer(deps({ prometheus: down.client }), params('kind=users&names=alice'))).rejects.toMatchObject({ status: 503 });
    const bad = recorder(new PrometheusError('bad-query', 'parse error'));
    await expect(userTrafficAnswer(deps({ prometheus: bad.client }), 'alice', params())).rejects.toThrow('parse error');
  });
});
