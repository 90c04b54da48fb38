import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { recordingPipeline } from '../changes/test-fixtures';
import { destinationRuleKind, type DestinationRule } from '../kube/destinationrules';
import { LocalStore } from '../kube/local-backend';
import { circuitBreaking, describeCircuitBreaking } from './circuit-breaking';
import { syncCircuitBreakers } from './circuit-breaker-sync';
import { planCircuitBreakers } from './circuit-breakers';
import { renderRouteVirtualService, type RenderContext } from './virtualservice';

const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const cbCtx = { namespace: 'hub', clusterDomain: 'cluster.local', prefix: 'hubmesh', autoMtls: true };
const route = (path: string, service: string, data: Record<string, unknown>) =>
  renderRouteVirtualService({ path, data: { target: `http://${service}:8888`, ...data }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: `${service}.hub.svc.cluster.local`, port: 8888 }, ctx);
const routes = [route('/', 'hub', { hub: true }), route('/user/alice', 'jupyter-alice', { user: 'alice' }), route('/user/bob', 'jupyter-bob', { user: 'bob' })];
const cb = circuitBreaking.parse({ connectionPool: { http1MaxPendingRequests: 50, http2MaxRequests: 200 }, outlierDetection: { consecutive5xxErrors: 5 } });

describe('circuit breakers for notebook Services', () => {
  it('take limits and outlier detection, with Istio-ready durations, and say what they do', () => {
    expect(cb.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 });
    expect(describeCircuitBreaking(cb)).toBe('circuit breaking: 50 queued requests, 200 requests at once, out for 30s after 5 5xx in a row');
    expect(circuitBreaking.safeParse({ connectionPool: { http2MaxRequests: 0 } }).success).toBe(false);
  });

  it("give each notebook Service one DestinationRule, none to the hub's, and leave a host another owner configures alone", () => {
    const foreign: DestinationRule = { metadata: { name: 'bob-subsets', namespace: 'hub' }, spec: { host: 'jupyter-bob', subsets: [{ name: 'v2', labels: { v: '2' } }] } };
    const plan = planCircuitBreakers(routes, [foreign], cb, cbCtx);
    expect(plan.desired.map((dr) => [dr.metadata.name, dr.spec!.host])).toEqual([['hubmesh-cb-jupyter-alice', 'jupyter-alice.hub.svc.cluster.local']]);
    expect(plan.desired[0]!.spec!.trafficPolicy).toEqual({
      connectionPool: { http: { http1MaxPendingRequests: 50, http2MaxRequests: 200 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 },
    });
    expect(plan.blocked).toEqual([{ host: 'jupyter-bob.hub.svc.cluster.local', by: 'hub/bob-subsets' }]);
    // with auto mTLS off a rule without tls would send plaintext: it keeps Istio's mTLS itself
    expect(planCircuitBreakers(routes, [], cb, { ...cbCtx, autoMtls: false }).desired[0]!.spec!.trafficPolicy!.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    expect(planCircuitBreakers(routes, [], undefined, cbCtx)).toEqual({ desired: [], blocked: [] });
  });

  it('are applied and removed in one pass, recorded once, and a pass with nothing to do writes nothing', async () => {
    const backend = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-cb-'))).backend<DestinationRule>(destinationRuleKind);
    const { changes, events } = recordingPipeline({ events: true });
    let defaults: typeof cb | undefined = cb;
    const deps = {
      virtualServices: { list: () => routes, subscribe: () => () => undefined, waitForSync: async () => true },
      destinationRules: { list: () => [] as DestinationRule[], subscribe: () => () => undefined },
      backend,
      circuitBreaking: () => defaults,
      ctx: cbCtx,
      defaultsConfigMap: 'hubmesh-notebook-defaults',
      changes,
      log: pino({ level: 'silent' }),
    };
    const list = async () => (await backend.list('hub')).items;
    deps.destinationRules.list = () => [];
    expect(await syncCircuitBreakers(deps)).toMatchObject({ created: 2, updated: 0, removed: 0 });
    const stored = await list();
    expect(stored.map((dr) => dr.metadata.name).sort()).toEqual(['hubmesh-cb-jupyter-alice', 'hubmesh-cb-jupyter-bob']);
    deps.destinationRules.list = () => stored;
    expect(await syncCircuitBreakers(deps)).toMatchObject({ created: 0, updated: 0, removed: 0 });
    defaults = undefined;
    expect(await syncCircuitBreakers(deps)).toMatchObject({ removed: 2 });
    expect(await list()).toEqual([]);
    expect(events.map((e) => e.note)).toEqual(['circuit breakers for notebook Services: 2 created, 0 updated, 0 removed', 'circuit breakers for notebook Services: 0 created, 0 updated, 2 removed']);
  });
});
