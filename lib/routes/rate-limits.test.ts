import { describe, expect, it } from 'vitest';
import { patchedRouteNames, rateLimitedRoutes, renderRateLimitFilter } from './rate-limits';
import { renderRouteVirtualService, type RenderContext } from './virtualservice';

const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const filterCtx = { name: 'hubmesh-rate-limits', namespace: 'istio-system', prefix: 'hubmesh', gatewaySelector: { istio: 'ingressgateway' } };
const route = (path: string, target: string, overlays = {}) =>
  renderRouteVirtualService({ path, data: { target, user: 'alice' }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: 'jupyter-alice.hub.svc.cluster.local', port: 8888 }, ctx, { rules: [], ...overlays });

describe('rate limits at the gateway', () => {
  it("names a limited route's own matches after its VirtualService, and only those", () => {
    const vs = route('/user/alice', 'http://jupyter-alice:8888', {
      rateLimit: { requests: 10, per: 'second' },
      rules: [{ name: 'beta', match: { header: 'x-beta', exact: 'on' }, destination: { service: 'beta' } }],
    });
    expect(vs.spec.http!.map((r) => [r.name, r.match!.map((m) => m.name)])).toEqual([
      ['rule-beta', [undefined, undefined]],
      ['route', [vs.metadata.name, vs.metadata.name]],
    ]);
    expect(route('/user/alice', 'http://jupyter-alice:8888', { rateLimit: 'off' }).spec.http![0]!.match!.map((m) => m.name)).toEqual([undefined, undefined]);
  });

  it('finds the limited routes and the Envoy routes Istio names for them (a target path makes two)', () => {
    const plain = route('/user/bob', 'http://jupyter-bob:8888');
    const limited = route('/user/alice', 'http://jupyter-alice:8888/base', { rateLimit: { requests: 100, per: 'minute', burst: 200 } });
    expect(rateLimitedRoutes([plain, limited])).toEqual([
      { path: '/user/alice', virtualService: limited.metadata.name, envoyRoutes: [`route-exact.${limited.metadata.name}`, `route.${limited.metadata.name}`], limit: { requests: 100, per: 'minute', burst: 200 } },
    ]);
  });

  it("renders one EnvoyFilter: the filter before the router, the 429's JSON body, then one patch per Envoy route with its token bucket", () => {
    const limited = route('/user/alice', 'http://jupyter-alice:8888', { rateLimit: { requests: 100, per: 'minute', burst: 200 } });
    const filter = renderRateLimitFilter(rateLimitedRoutes([limited]), filterCtx);
    expect(filter.metadata).toEqual({ name: 'hubmesh-rate-limits', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'hubmesh', 'hubmesh.io/prefix': 'hubmesh', 'hubmesh.io/kind': 'rate-limits' } });
    expect(filter.spec.workloadSelector).toEqual({ labels: { istio: 'ingressgateway' } });
    expect(filter.spec.configPatches.map((p) => [p.applyTo, p.patch.operation])).toEqual([
      ['HTTP_FILTER', 'INSERT_BEFORE'],
      ['NETWORK_FILTER', 'MERGE'],
      ['HTTP_ROUTE', 'MERGE'],
    ]);
    expect(filter.spec.configPatches[2]).toEqual({
      applyTo: 'HTTP_ROUTE',
      match: { context: 'GATEWAY', routeConfiguration: { vhost: { route: { name: `route.${limited.metadata.name}` } } } },
      patch: {
        operation: 'MERGE',
        value: {
          typed_per_filter_config: {
            'envoy.filters.http.local_ratelimit': {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
              stat_prefix: 'hubmesh_rate_limit',
              token_bucket: { max_tokens: 200, tokens_per_fill: 100, fill_interval: '60s' },
              filter_enabled: { runtime_key: 'hubmesh_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } },
              filter_enforced: { runtime_key: 'hubmesh_rate_limit_enforced', default_value: { numerator: 100, denominator: 'HUNDRED' } },
              response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: 'x-hubmesh-rate-limit', value: 'rate limit 100 per minute (bursts of 200) on route /user/alice' } }],
            },
          },
        },
      },
    });
    expect(patchedRouteNames(filter)).toEqual([`route.${limited.metadata.name}`]);
  });

  it("answers only the local rate limit's own 429s with a JSON body naming the limit", () => {
    const hcm = renderRateLimitFilter([], filterCtx).spec.configPatches[1]!;
    expect(hcm.match).toEqual({ context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } });
    const [mapper] = (hcm.patch.value as { typed_config: { local_reply_config: { mappers: Array<Record<string, unknown>> } } }).typed_config.local_reply_config.mappers;
    expect(mapper).toMatchObject({
      filter: { and_filter: { filters: [{ status_code_filter: { comparison: { op: 'EQ', value: { default_value: 429 } } } }, { extension_filter: { typed_config: { expression: "response.code_details == 'local_rate_limited'" } } }] } },
      body_format_override: { json_format: { status: 429, code: 'rate-limited', limit: '%RESP(x-hubmesh-rate-limit)%' } },
    });
  });

  it('with no limit left holds only the filter, which limits nothing, and the body of its 429s', () => {
    expect(renderRateLimitFilter([], filterCtx).spec.configPatches.map((p) => p.applyTo)).toEqual(['HTTP_FILTER', 'NETWORK_FILTER']);
  });
});
