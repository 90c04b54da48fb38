import { describe, expect, it } from 'vitest';
import { rateLimitedRoutes, renderRateLimitFilter } from '../../routes/rate-limits';
import { circuitBreaking } from '../../routes/circuit-breaking';
import { circuitBreakingBlocked, faultWithoutScopeOrExpiry, rateLimitMatchesNoRoute, retryBudgetOverTimeout, timeoutOnWebsocketRoute } from './resilience';
import { hubRoute, prefixRule, snapshot, virtualService } from './test-fixtures';

const expiresAt = '2026-12-03T12:00:00.000Z';
const messages = (findings: Array<{ code: string; message: string; object: { name: string } }>) => findings.map((f) => `${f.code} ${f.message}`);

describe('resilience validations', () => {
  it('HM5001: flags retries whose tries together outlast the timeout, not those that fit', () => {
    const over = hubRoute('/user/alice', { user: 'alice', overlays: { rules: [], retries: { attempts: 3, retryOn: 'reset', perTryTimeout: '10s' }, timeout: '30s' } });
    const fits = hubRoute('/user/bob', { user: 'bob', overlays: { rules: [], retries: { attempts: 2, retryOn: 'reset', perTryTimeout: '10s' }, timeout: '30s' } });
    const global = hubRoute('/user/carol', { user: 'carol', routeTimeout: '5s', overlays: { rules: [], retries: { attempts: 1, retryOn: 'reset', perTryTimeout: '3s' } } });
    expect(messages(retryBudgetOverTimeout.check(snapshot({ virtualServices: [over, fits, global] })))).toEqual([
      "HM5001 Route /user/alice: 4 tries of up to 10s each can take longer than its timeout of 30s; the last retries never run.",
      'HM5001 Route /user/carol: 2 tries of up to 3s each can take longer than its timeout of 5s; the last retries never run.',
    ]);
  });

  it("HM5002: flags a timeout on a notebook's or a service's route, never on the hub's own", () => {
    const notebook = hubRoute('/user/alice', { user: 'alice', overlays: { rules: [], timeout: '60s' } });
    const hub = hubRoute('/', { hub: true, overlays: { rules: [], timeout: '60s' } });
    const none = hubRoute('/user/bob', { user: 'bob' });
    expect(messages(timeoutOnWebsocketRoute.check(snapshot({ virtualServices: [notebook, hub, none] })))).toEqual([
      'HM5002 Route /user/alice has a 60s timeout: kernels, terminals and long requests on it end after 60s.',
    ]);
  });

  it('HM5003: flags an unscoped fault until it expires, and any fault no expiry removes; a scoped fault is fine', () => {
    const everyone = hubRoute('/user/alice', { user: 'alice', overlays: { rules: [], fault: { abort: { percent: 10, httpStatus: 503 }, scope: 'everyone', expiresAt } } });
    const scoped = hubRoute('/user/bob', { user: 'bob', overlays: { rules: [], fault: { abort: { percent: 10, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt } } });
    const handEdited = hubRoute('/user/carol', { user: 'carol' });
    handEdited.spec.http![0]!.fault = { delay: { percentage: { value: 100 }, fixedDelay: '5s' } };
    const foreign = virtualService('chaos', [{ ...prefixRule('/docs/', 'svc.jupyterhub.svc.cluster.local'), name: 'slow', fault: { abort: { percentage: { value: 5 }, httpStatus: 500 } } }]);
    expect(messages(faultWithoutScopeOrExpiry.check(snapshot({ virtualServices: [everyone, scoped, handEdited, foreign] })))).toEqual([
      `HM5003 Route /user/alice injects a fault into every request, real users' too, until ${expiresAt}.`,
      `HM5003 VirtualService jupyterhub/${handEdited.metadata.name} injects faults (rule route) that no expiry removes.`,
      'HM5003 VirtualService jupyterhub/chaos injects faults (rule slow) that no expiry removes.',
    ]);
  });

  it('HM5004: flags the patches of the rate-limit EnvoyFilter whose Envoy route no route carries any more', () => {
    const alice = hubRoute('/user/alice', { user: 'alice', overlays: { rules: [], rateLimit: { requests: 5, per: 'second' } } });
    const bob = hubRoute('/user/bob', { user: 'bob', overlays: { rules: [], rateLimit: { requests: 5, per: 'second' } } });
    const filter = renderRateLimitFilter(rateLimitedRoutes([alice, bob]), { name: 'hubmesh-rate-limits', namespace: 'istio-system', prefix: 'hubmesh', gatewaySelector: { istio: 'ingressgateway' } });
    expect(rateLimitMatchesNoRoute.check(snapshot({ virtualServices: [alice, bob], envoyFilters: [filter] }))).toEqual([]);
    // bob's route is gone, and the filter has not followed yet
    expect(messages(rateLimitMatchesNoRoute.check(snapshot({ virtualServices: [alice], envoyFilters: [filter] })))).toEqual([
      `HM5004 EnvoyFilter istio-system/hubmesh-rate-limits limits Envoy route route.${bob.metadata.name}, which no route carries any more.`,
    ]);
  });

  it("HM5005: flags another owner's DestinationRule on a notebook's host while the defaults ask for circuit breaking", () => {
    const alice = hubRoute('/user/alice', { user: 'alice', service: 'jupyter-alice' });
    const foreign = { metadata: { name: 'alice-subsets', namespace: 'jupyterhub' }, spec: { host: 'jupyter-alice', subsets: [{ name: 'v2', labels: { v: '2' } }] } };
    const cb = circuitBreaking.parse({ outlierDetection: { consecutive5xxErrors: 5 } });
    expect(messages(circuitBreakingBlocked.check(snapshot({ virtualServices: [alice], destinationRules: [foreign], circuitBreaking: cb })))).toEqual([
      "HM5005 DestinationRule jupyterhub/alice-subsets configures notebook Service jupyter-alice.jupyterhub.svc.cluster.local: the notebook defaults' circuit breaking does not reach it.",
    ]);
    expect(circuitBreakingBlocked.check(snapshot({ virtualServices: [alice], destinationRules: [foreign] }))).toEqual([]);
  });
});
