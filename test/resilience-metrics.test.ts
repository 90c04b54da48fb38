import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationSeconds } from '@/lib/mesh/traffic';
import { routeResilienceMetrics } from '@/lib/routes/route-metrics-api';
import { renderRouteVirtualService } from '@/lib/routes/virtualservice';
import { PrometheusClient } from '@/lib/telemetry/prometheus';
import { startIstioExporter, type Flow, type IstioExporter } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

/**
 * The route drawer's "in the last hour" figures on a real Prometheus, over a shorter window: the gateway's
 * reports of a notebook's requests with Envoy's response flags (429 RL, fault FI and DI, URX), and Envoy's
 * retry counter for its cluster, published the way Istio's proxies publish them.
 */
const WINDOW = '15s';
const SCRAPE_SECONDS = 1;
const TOLERANCE = 0.02;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gateway = { namespace: 'istio-system', workload: 'istio-ingressgateway' };
const toAlice = (responseCode: number, responseFlags: string): Flow => ({ source: gateway, destination: { namespace: 'jupyterhub', service: 'jupyter-alice' }, policy: 'unknown', reporter: 'source', responseCode, responseFlags });
const vs = renderRouteVirtualService(
  { path: '/user/alice', data: { target: 'http://jupyter-alice:8888', user: 'alice' }, lastActivity: '2026-12-03T10:00:00.000Z' },
  { host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: 8888 },
  { namespace: 'jupyterhub', prefix: 'hubmesh', gateway: 'jupyterhub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined },
);

describe("a route's resilience figures, on a real Prometheus", () => {
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let client: PrometheusClient;

  beforeAll(async () => {
    exporter = await startIstioExporter();
    // per second: 6 served, 2 rate-limited, 1 aborted and 1 delayed by a fault, 0.5 failed after every retry
    exporter.requests(toAlice(200, '-'), 6);
    exporter.requests(toAlice(429, 'RL'), 2);
    exporter.requests(toAlice(503, 'FI'), 1);
    exporter.requests(toAlice(200, 'DI'), 1);
    exporter.requests(toAlice(503, 'URX,UF'), 0.5);
    exporter.retries('outbound|8888||jupyter-alice.jupyterhub.svc.cluster.local', 1.5);
    // another notebook's traffic is not alice's
    exporter.requests({ ...toAlice(429, 'RL'), destination: { namespace: 'jupyterhub', service: 'jupyter-bob' } }, 5);
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSeconds: SCRAPE_SECONDS });
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
    const readyAt = ((await exporter.firstScrape) + durationSeconds(WINDOW)! + 2 * SCRAPE_SECONDS) * 1000;
    await sleep(Math.max(0, readyAt - Date.now()));
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  it('counts requests, 429s, injected faults and retries of exactly that route’s Service over the window', async () => {
    const time = Math.floor(exporter.lastScrape() * 1000) / 1000;
    await sleep(300);
    const figures = await routeResilienceMetrics({ virtualServices: { get: () => vs }, clusterDomain: 'cluster.local', prometheus: client }, vs.metadata.name, { window: WINDOW, time });
    expect(figures.configured).toBe(true);
    if (!figures.configured) return;
    console.info(`resilience figures over ${WINDOW}: ${JSON.stringify(figures)}`);
    const window = durationSeconds(WINDOW)!;
    const near = (actual: number, expected: number, what: string) => expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThan(TOLERANCE);
    near(figures.requests, 10.5 * window, 'requests');
    near(figures.rateLimited, 2 * window, '429s');
    near(figures.faultAborts, 1 * window, 'fault aborts');
    near(figures.faultDelays, 1 * window, 'fault delays');
    near(figures.retriesExhausted, 0.5 * window, 'URX');
    near(figures.retries!, 1.5 * window, 'retries');
  });

  it('says when Prometheus is not configured, and that a route does not exist', async () => {
    expect(await routeResilienceMetrics({ virtualServices: { get: () => vs }, clusterDomain: 'cluster.local', prometheus: undefined }, vs.metadata.name)).toEqual({ configured: false });
    await expect(routeResilienceMetrics({ virtualServices: { get: () => undefined }, clusterDomain: 'cluster.local', prometheus: client }, 'nope')).rejects.toMatchObject({ status: 404 });
  });
});
