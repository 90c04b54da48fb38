import { describe, expect, it } from 'vitest';
import {
  durationSeconds,
  historyRange,
  shareHistory,
  shareHistoryQuery,
  summarizeTraffic,
  trafficQueries,
  trafficWindow,
  type TrafficVectors,
} from './traffic';

const sample = (metric: Record<string, string>, value: number) => ({ metric, time: 1000, value });
const svc = (namespace: string, service: string, policy: string) => ({
  destination_service_namespace: namespace,
  destination_service_name: service,
  connection_security_policy: policy,
});
const pair = (sourceNamespace: string, workload: string, namespace: string, service: string, policy: string) => ({
  source_workload_namespace: sourceNamespace,
  source_workload: workload,
  ...svc(namespace, service, policy),
});
const noVectors: TrafficVectors = { requests: [], tcpBytes: [], offendingRequests: [], offendingTcpBytes: [] };

describe('durations and windows', () => {
  it('reads Prometheus durations in unit order', () => {
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('1d12h')).toBe(129600);
    expect(durationSeconds('1w')).toBe(604800);
    expect(durationSeconds('1y')).toBe(31536000);
    expect(durationSeconds('1500ms')).toBe(1.5);
    expect(durationSeconds('0s')).toBe(0);
    for (const bad of ['', '5', '5M', '30m1h', '1.5m', '-5m', '5m ', '5m]', 'm']) expect(durationSeconds(bad), bad).toBeUndefined();
  });

  it('accepts only positive durations as a window', () => {
    expect(trafficWindow.safeParse('15s').success).toBe(true);
    expect(trafficWindow.safeParse('0s').success).toBe(false);
    expect(trafficWindow.safeParse('5m]) or vector(1').success).toBe(false);
    expect(() => trafficQueries({ window: '5m) or up[' })).toThrow(/Prometheus duration/);
  });
});

describe('PromQL builders', () => {
  it('reads what the receiving side reported (requests: sidecars and waypoints; TCP: sidecars and ztunnel), scoped to the namespaces asked for', () => {
    const all = trafficQueries({ window: '5m' });
    expect(all.requests).toBe(
      'sum by (destination_service_namespace, destination_service_name, connection_security_policy) ' +
        '(rate(istio_requests_total{reporter=~"destination|waypoint"}[5m]))',
    );
    const bytes = (metric: string) =>
      `sum by (destination_service_namespace, destination_service_name, connection_security_policy) (increase(${metric}{reporter="destination"}[5m]))`;
    const [sent, received] = [bytes('istio_tcp_sent_bytes_total'), bytes('istio_tcp_received_bytes_total')];
    expect(all.tcpBytes).toBe(`(${sent} + ${received}) or ${sent} or ${received}`);
    expect(all.offendingRequests).toBe(
      'sum by (source_workload_namespace, source_workload, destination_service_namespace, destination_service_name, connection_security_policy) ' +
        '(rate(istio_requests_total{reporter=~"destination|waypoint",connection_security_policy!="mutual_tls"}[5m])) > 0',
    );
    // "or" binds looser than ">": the whole sum is filtered
    expect(all.offendingTcpBytes).toMatch(/^\(\(sum by .*\) > 0$/);

    const one = trafficQueries({ window: '1h', namespaces: ['jupyterhub'] });
    expect(one.requests).toContain('{reporter=~"destination|waypoint",destination_service_namespace="jupyterhub"}[1h]');
    expect(one.tcpBytes).toContain('{reporter="destination",destination_service_namespace="jupyterhub"}[1h]');
    // several namespaces: one anchored regex alternation, each name regex-quoted, then string-quoted
    const several = trafficQueries({ window: '1h', namespaces: ['hub', 'a.b', 'q"x\\'] });
    expect(several.tcpBytes).toContain(',destination_service_namespace=~"hub|a\\\\.b|q\\"x\\\\\\\\"}[1h]');
    expect(shareHistoryQuery({ window: '30s', namespaces: ['hub'] })).toBe(
      'sum by (destination_service_namespace, connection_security_policy) ' +
        '(rate(istio_requests_total{reporter=~"destination|waypoint",destination_service_namespace="hub"}[30s]))',
    );
  });
});

describe('summarizeTraffic', () => {
  it('computes shares per service and traffic-weighted per namespace', () => {
    const summary = summarizeTraffic(
      {
        ...noVectors,
        requests: [
          sample(svc('hub', 'proxy', 'mutual_tls'), 3),
          sample(svc('hub', 'proxy', 'none'), 1),
          sample(svc('hub', 'api', 'mutual_tls'), 2),
          sample(svc('lab', 'kernel', 'unknown'), 0.5),
        ],
        tcpBytes: [sample(svc('hub', 'db', 'mutual_tls'), 1500), sample(svc('hub', 'db', 'none'), 500)],
      },
      { window: '5m' },
    );
    const service = (name: string) => summary.services.find((s) => s.service === name)!;
    expect(service('proxy').requests).toEqual({ mutualTls: 3, none: 1, unknown: 0, total: 4, share: 0.75 });
    expect(service('proxy').verdict).toBe('partial');
    expect(service('api').requests.share).toBe(1);
    expect(service('api').verdict).toBe('mtls');
    expect(service('kernel').requests.share).toBe(0);
    expect(service('kernel').verdict).toBe('plaintext');
    expect(service('db').tcpBytes.share).toBe(0.75);
    expect(service('db').requests.share).toBeNull();

    const hub = summary.namespaces.find((n) => n.namespace === 'hub')!;
    expect(hub.requests).toEqual({ mutualTls: 5, none: 1, unknown: 0, total: 6, share: 5 / 6 });
    expect(hub.tcpBytes.share).toBe(0.75);
    expect(hub.services).toBe(3);
    expect(hub.servicesWithPlaintext).toBe(2);
    expect(hub.verdict).toBe('partial');
    expect(summary.services.map((s) => `${s.namespace}/${s.service}`)).toEqual(['hub/api', 'hub/db', 'hub/proxy', 'lab/kernel']);
  });

  it('reports services and namespaces without traffic in the window as no traffic, not as a percentage', () => {
    const summary = summarizeTraffic(
      { ...noVectors, requests: [sample(svc('lab', 'idle', 'mutual_tls'), 0), sample(svc('lab', 'idle', 'none'), 0)] },
      { window: '5m', namespaces: ['lab', 'empty'] },
    );
    expect(summary.services).toEqual([
      { namespace: 'lab', service: 'idle', requests: { mutualTls: 0, none: 0, unknown: 0, total: 0, share: null }, tcpBytes: expect.objectContaining({ share: null }), verdict: 'no-traffic' },
    ]);
    expect(summary.namespaces.map((n) => [n.namespace, n.verdict, n.requests.share, n.services])).toEqual([
      ['empty', 'no-traffic', null, 0],
      ['lab', 'no-traffic', null, 1],
    ]);
  });

  it("judges a namespace whose only traffic is ztunnel's TCP on it: mutual_tls (HBONE) or unknown (plaintext passed through)", () => {
    const ztunnel = (policy: string, bytes: number) => sample(svc('hub', 'nb', policy), bytes);
    const encrypted = summarizeTraffic({ ...noVectors, tcpBytes: [ztunnel('mutual_tls', 4096)] }, { window: '5m', namespaces: ['hub'] });
    expect(encrypted.namespaces[0]).toMatchObject({ namespace: 'hub', verdict: 'mtls', requests: { share: null }, tcpBytes: { share: 1 } });
    const passthrough = summarizeTraffic({ ...noVectors, tcpBytes: [ztunnel('mutual_tls', 3072), ztunnel('unknown', 1024)] }, { window: '5m', namespaces: ['hub'] });
    expect(passthrough.namespaces[0]).toMatchObject({ verdict: 'partial', tcpBytes: { mutualTls: 3072, unknown: 1024, share: 0.75 } });
  });

  it('merges request and TCP rows of the same offending pair, worst first', () => {
    const summary = summarizeTraffic(
      {
        ...noVectors,
        offendingRequests: [sample(pair('lab', 'curl', 'hub', 'proxy', 'none'), 1), sample(pair('lab', 'nb', 'hub', 'api', 'unknown'), 2)],
        offendingTcpBytes: [sample(pair('lab', 'curl', 'hub', 'proxy', 'none'), 700), sample(pair('ext', 'etl', 'hub', 'db', 'none'), 9000)],
      },
      { window: '5m' },
    );
    expect(summary.offendingPairs).toEqual([
      { source: { namespace: 'lab', workload: 'nb' }, destination: { namespace: 'hub', service: 'api' }, policy: 'unknown', requestsPerSecond: 2, tcpBytes: 0 },
      { source: { namespace: 'lab', workload: 'curl' }, destination: { namespace: 'hub', service: 'proxy' }, policy: 'none', requestsPerSecond: 1, tcpBytes: 700 },
      { source: { namespace: 'ext', workload: 'etl' }, destination: { namespace: 'hub', service: 'db' }, policy: 'none', requestsPerSecond: 0, tcpBytes: 9000 },
    ]);
  });
});

describe('share history', () => {
  it('aligns the grid to its step', () => {
    expect(historyRange(1_000_007, 600, 120)).toEqual({ start: 999_405, end: 1_000_005, step: 5 });
    expect(historyRange(1_000_007.9, 30, 120)).toEqual({ start: 999_977, end: 1_000_007, step: 1 });
  });

  it('keeps every grid point, gaps as null, and tells no traffic from no data', () => {
    const range = { start: 100, end: 130, step: 10 };
    const history = shareHistory(
      [
        { metric: { destination_service_namespace: 'hub', connection_security_policy: 'mutual_tls' }, points: [{ time: 110, value: 3 }, { time: 120, value: 0 }, { time: 130, value: 2 }] },
        { metric: { destination_service_namespace: 'hub', connection_security_policy: 'none' }, points: [{ time: 110, value: 1 }, { time: 120, value: 0 }] },
        { metric: { destination_service_namespace: 'lab', connection_security_policy: 'none' }, points: [{ time: 100, value: 4 }] },
      ],
      range,
    );
    expect(history).toEqual([
      {
        namespace: 'hub',
        points: [
          { time: 100, share: null, requestsPerSecond: null },
          { time: 110, share: 0.75, requestsPerSecond: 4 },
          { time: 120, share: null, requestsPerSecond: 0 },
          { time: 130, share: 1, requestsPerSecond: 2 },
        ],
      },
      {
        namespace: 'lab',
        points: [
          { time: 100, share: 0, requestsPerSecond: 4 },
          { time: 110, share: null, requestsPerSecond: null },
          { time: 120, share: null, requestsPerSecond: null },
          { time: 130, share: null, requestsPerSecond: null },
        ],
      },
    ]);
  });
});
