import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import type { Overlays } from '@/lib/routes/overlays';
import { circuitBreaking } from '@/lib/routes/circuit-breaking';
import { planCircuitBreakers } from '@/lib/routes/circuit-breakers';
import { rateLimitedRoutes, renderRateLimitFilter } from '@/lib/routes/rate-limits';
import { renderRouteVirtualService, type RenderContext } from '@/lib/routes/virtualservice';
import { Oracle, oracleBinary, type OracleVerdict } from './oracle/client';
import { gatewayObject, objectsYaml, serviceObjects } from './oracle/routing-case';

/**
 * The resilience sections as Istio's own config generator turns them into Envoy's configuration (istio-oracle):
 * hubmesh renders the routes and the gateway's EnvoyFilter exactly as it writes them, and Istio says what the
 * gateway's Envoy gets.
 */
const NS = 'jupyterhub';
const ctx: RenderContext = { namespace: NS, prefix: 'hubmesh', gateway: `${NS}/jupyterhub-gateway`, hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const expiresAt = '2099-01-01T00:00:00.000Z';
const route = (path: string, service: string, port: number, overlays: Partial<Overlays> = {}, data: Record<string, unknown> = { user: path.split('/')[2] }) =>
  renderRouteVirtualService({ path, data: { target: `http://${service}:${port}`, ...data }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: `${service}.${NS}.svc.cluster.local`, port }, ctx, { rules: [], ...overlays });

const hub = route('/', 'hub', 8081, {}, { hub: true });
const alice = route('/user/alice', 'jupyter-alice', 8888, {
  retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset', perTryTimeout: '2s' },
  timeout: '90s',
  fault: { delay: { percent: 10, fixedDelay: '1.5s' }, scope: 'everyone', expiresAt },
});
const bob = route('/user/bob', 'jupyter-bob', 8888, {
  fault: { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt },
  rateLimit: { requests: 100, per: 'minute', burst: 150 },
  retries: 'off',
});
const carol = route('/user/carol', 'jupyter-carol', 8888);
// every setting on at once
const dave = route('/user/dave', 'jupyter-dave', 8888, {
  retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' },
  timeout: '120s',
  fault: { delay: { percent: 5, fixedDelay: '2s' }, abort: { percent: 1, httpStatus: 503 }, scope: 'everyone', expiresAt },
  rateLimit: { requests: 20, per: 'second', burst: 40 },
});
const routes = [hub, alice, bob, carol, dave];
const filter = renderRateLimitFilter(rateLimitedRoutes(routes), { name: 'hubmesh-rate-limits', namespace: 'istio-system', prefix: 'hubmesh', gatewaySelector: { istio: 'ingressgateway' } });

const breakers = planCircuitBreakers(
  routes,
  [],
  circuitBreaking.parse({ connectionPool: { maxConnections: 100, http1MaxPendingRequests: 50, http2MaxRequests: 200 }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 } }),
  { namespace: NS, clusterDomain: 'cluster.local', prefix: 'hubmesh', autoMtls: true },
).desired;
const aliceCluster = `outbound|8888||jupyter-alice.${NS}.svc.cluster.local`;
const hubCluster = `outbound|8081||hub.${NS}.svc.cluster.local`;

const LOCAL_RATE_LIMIT = 'envoy.filters.http.local_ratelimit';
const FAULT = 'envoy.filters.http.fault';

describe('resilience settings, as Istio generates them for the gateway (istio-oracle)', () => {
  let oracle: Oracle;
  let verdict: OracleVerdict;

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    const services = serviceObjects(NS, ['http://hub:8081', 'http://jupyter-alice:8888', 'http://jupyter-bob:8888', 'http://jupyter-carol:8888', 'http://jupyter-dave:8888']);
    const objects = [gatewayObject(NS), ...services, ...routes.map((vs: VirtualService) => ({ ...vs, metadata: { ...vs.metadata, creationTimestamp: '2026-06-01T00:00:00Z' } })), filter, ...breakers];
    verdict = await oracle.judge({
      objects: objectsYaml(objects),
      requests: [
        { host: 'hub.example.org', path: '/user/alice/lab' },
        { host: 'hub.example.org', path: '/user/bob/lab' },
        { host: 'hub.example.org', path: '/user/bob/lab', headers: { 'x-hubmesh-fault': 'demo' } },
        { host: 'hub.example.org', path: '/user/carol/lab' },
        { host: 'hub.example.org', path: '/hub/home' },
        { host: 'hub.example.org', path: '/user/dave/api/kernels' },
      ],
      listenerPorts: [80],
      routeTable: true,
      clusters: [aliceCluster, hubCluster],
    });
    expect(verdict.error).toBe('');
  });

  afterAll(() => oracle?.close());

  it('every object passes Istio\'s validation and analyzers; the EnvoyFilter draws only the warning every EnvoyFilter draws', () => {
    expect(verdict.messages.filter((m) => m.level === 'Error')).toEqual([]);
    const warnings = verdict.messages.filter((m) => m.level === 'Warning');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((m) => m.object === 'EnvoyFilter istio-system/hubmesh-rate-limits' && /exposes internal implementation details/.test(m.message))).toBe(true);
  });

  it("puts the route's retries and timeout, and an unscoped fault, on exactly that route's Envoy route", () => {
    const [aliceLab] = verdict.results;
    expect(aliceLab).toMatchObject({ routeName: 'route', cluster: `outbound|8888||jupyter-alice.${NS}.svc.cluster.local` });
    expect(aliceLab!.route).toMatchObject({
      route: { timeout: '90s', retry_policy: { retry_on: 'connect-failure,refused-stream,unavailable,reset', num_retries: 3, per_try_timeout: '2s' } },
      typed_per_filter_config: { [FAULT]: { delay: { fixed_delay: '1.500s', percentage: { numerator: 100000, denominator: 'MILLION' } } } },
    });
    // carol has none of it: Istio's own defaults (2 retries, no timeout, no fault)
    const carolLab = verdict.results[3]!;
    expect(carolLab.route).toMatchObject({ route: { timeout: '0s', retry_policy: { num_retries: 2 } } });
    expect(carolLab.route!.typed_per_filter_config).toBeUndefined();
  });

  it('gives a route with every setting on all of them on its one Envoy route: retries, timeout, fault and its own token bucket', () => {
    const daveKernels = verdict.results[5]!;
    expect(daveKernels).toMatchObject({ routeName: `route.${dave.metadata.name}`, cluster: `outbound|8888||jupyter-dave.${NS}.svc.cluster.local` });
    expect(daveKernels.route).toMatchObject({
      route: { timeout: '120s', retry_policy: { retry_on: 'connect-failure,refused-stream,unavailable,reset', num_retries: 3 } },
      typed_per_filter_config: {
        [FAULT]: { delay: { fixed_delay: '2s', percentage: { numerator: 50000 } }, abort: { http_status: 503, percentage: { numerator: 10000 } } },
        [LOCAL_RATE_LIMIT]: { token_bucket: { max_tokens: 40, tokens_per_fill: 20, fill_interval: '1s' } },
      },
    });
    const { route: forward, typed_per_filter_config: perFilter } = daveKernels.route as { route: Record<string, unknown>; typed_per_filter_config: unknown };
    console.info(`the Envoy route Istio generated for /user/dave/api/kernels, every setting on: ${JSON.stringify({ name: daveKernels.routeName, route: { cluster: forward.cluster, timeout: forward.timeout, retry_policy: forward.retry_policy }, typed_per_filter_config: perFilter })}`);
  });

  it('sends a scoped fault only to requests that carry its header, to the same server; "off" leaves a route no retry policy at all', () => {
    const [, plain, scoped] = verdict.results;
    expect([plain!.routeName, scoped!.routeName]).toEqual([`route.${bob.metadata.name}`, 'fault']);
    expect(scoped!.cluster).toBe(plain!.cluster);
    expect(scoped!.route!.typed_per_filter_config).toMatchObject({ [FAULT]: { abort: { http_status: 503, percentage: { numerator: 500000, denominator: 'MILLION' } } } });
    expect(plain!.route!.typed_per_filter_config).not.toHaveProperty(FAULT);
    expect((plain!.route!.route as Record<string, unknown>).retry_policy).toBeUndefined();
  });

  it("inserts the local rate limit filter before the router, and patches exactly the limited route's Envoy routes with its bucket", () => {
    const filters = verdict.httpFilters!['80']!;
    expect(filters.indexOf(LOCAL_RATE_LIMIT)).toBeGreaterThan(-1);
    expect(filters.indexOf(LOCAL_RATE_LIMIT)).toBe(filters.indexOf('envoy.filters.http.router') - 1);
    const limited = verdict.routeTable!.filter((r) => r.perFilterConfig.includes(LOCAL_RATE_LIMIT)).map((r) => r.name);
    expect(limited.sort()).toEqual([`route.${bob.metadata.name}`, `route.${bob.metadata.name}`, `route.${dave.metadata.name}`, `route.${dave.metadata.name}`]);
    expect(verdict.routeTable!.length).toBeGreaterThan(limited.length + 3);
    const bucket = (verdict.results[1]!.route!.typed_per_filter_config as Record<string, Record<string, unknown>>)[LOCAL_RATE_LIMIT];
    expect(bucket).toMatchObject({ token_bucket: { max_tokens: 150, tokens_per_fill: 100, fill_interval: '60s' } });
  });

  it("answers the local rate limit's own 429s, and no other reply, with a JSON body naming the limit", () => {
    const config = verdict.localReplyConfig!['80']!;
    expect(config).toMatchObject({
      mappers: [
        {
          filter: {
            and_filter: {
              filters: [
                // op EQ is the enum's zero value, which protojson leaves out
                { status_code_filter: { comparison: { value: { default_value: 429 } } } },
                {
                  extension_filter: {
                    name: 'envoy.access_loggers.extension_filters.cel',
                    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: "response.code_details == 'local_rate_limited'" },
                  },
                },
              ],
            },
          },
          body_format_override: { json_format: { status: 429, code: 'rate-limited', limit: '%RESP(x-hubmesh-rate-limit)%' } },
        },
      ],
    });
    // one mapper, and no body_format of its own: every other local reply keeps Envoy's body
    expect((config as { mappers: unknown[] }).mappers).toHaveLength(1);
    expect(config).not.toHaveProperty('body_format');
  });

  it("gives each notebook Service's cluster the circuit breakers and outlier detection of its DestinationRule, and the hub's none", () => {
    expect(breakers.map((dr) => dr.spec!.host)).toEqual(['alice', 'bob', 'carol', 'dave'].map((user) => `jupyter-${user}.${NS}.svc.cluster.local`));
    const alice = verdict.clusters![aliceCluster] as Record<string, unknown>;
    expect(alice).toMatchObject({
      circuit_breakers: { thresholds: [{ max_connections: 100, max_pending_requests: 50, max_requests: 200 }] },
      outlier_detection: { consecutive_5xx: 5, enforcing_consecutive_5xx: 100, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 },
    });
    // Istio's own defaults elsewhere: no outlier detection, limits so high they never trip
    const hub = verdict.clusters![hubCluster] as Record<string, unknown>;
    expect(hub).not.toHaveProperty('outlier_detection');
    expect(hub).toMatchObject({ circuit_breakers: { thresholds: [{ max_connections: 4294967295 }] } });
  });
});
