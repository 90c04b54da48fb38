import { describe, expect, it } from 'vitest';
import { gateway, HUB_HOST, hubRoute, NS, prefixRule, virtualService } from '../mesh/checkers/test-fixtures';
import { routeHop, routingHop, serverUrlPath } from './route-hops';
import { diagnoseInput, healthyObjects, healthySnapshot, hopContext, SERVICE } from './test-fixtures';

const ctxWith = (...parts: Parameters<typeof healthySnapshot>) => hopContext(diagnoseInput(healthySnapshot(...parts)));

describe('hop 1: the route', () => {
  it('passes with the route, its target and whether istiod reports status', () => {
    const hop = routeHop(ctxWith());
    expect(hop).toMatchObject({ id: 'route', status: 'pass' });
    expect(hop.summary).toContain("Route /user/alice (VirtualService jupyterhub/hubmesh-user-alice-");
    expect(hop.evidence.find((e) => e.label === 'Reconciled')!.value).toMatch(/^not reported/);
    expect(hop.evidence[0]!.ref).toMatchObject({ kind: 'VirtualService', namespace: NS });
  });

  it("fails without a route, and says whether the server's pod runs", () => {
    const withPod = routeHop(ctxWith({ virtualServices: [] }));
    expect(withPod.status).toBe('fail');
    expect(withPod.summary).toContain(`though its pod ${SERVICE} exists`);
    expect(withPod.fix).toContain('virtualservices.networking.istio.io');
    const none = routeHop(ctxWith({ virtualServices: [], pods: [] }));
    expect(none.fix).toBe("Start the server from the hub's home page (or the admin page).");
  });

  it("shows istiod's Reconciled condition, and warns while a generation is not reconciled", () => {
    const { route } = healthyObjects();
    route.metadata.generation = 3;
    route.status = { conditions: [{ type: 'Reconciled', status: 'True', reason: 'Reconciled' }], observedGeneration: 3 };
    expect(routeHop(ctxWith({ virtualServices: [route] })).summary).toContain('and istiod reconciled it');
    route.status = { conditions: [{ type: 'Reconciled', status: 'False', message: 'pushing' }], observedGeneration: 3 };
    const pending = routeHop(ctxWith({ virtualServices: [route] }));
    expect(pending.status).toBe('warn');
    expect(pending.summary).toContain('generation 3');
    expect(pending.evidence.find((e) => e.label === 'Reconciled')!.value).toBe('False: pushing');
  });
});

describe('hop 2: the route wins in the gateway', () => {
  it("passes when the route's own rule serves the server's path on every host", () => {
    const hop = routingHop(ctxWith());
    expect(hop.status).toBe('pass');
    expect(hop.evidence.map((e) => e.label)).toEqual(['Gateway host', 'Serves /user/alice/']);
    expect(hop.evidence[1]!.value).toMatch(/^VirtualService jupyterhub\/hubmesh-user-alice-\w+, rule route \(prefix \/user\/alice\/\), 1 of 2$/);
  });

  it('fails naming an older foreign VirtualService that takes the path, and how to fix it', () => {
    const grafana = virtualService('grafana', [prefixRule('/user/')], { created: 1 });
    const hop = routingHop(ctxWith({ virtualServices: [healthyObjects().route, grafana] }));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`VirtualService ${NS}/grafana (not a hub route) comes first on ${HUB_HOST} and its prefix /user/ takes /user/alice/`);
    expect(hop.fix).toContain(`Narrow the match of VirtualService ${NS}/grafana`);
    expect(hop.evidence.find((e) => e.label === 'Serves /user/alice/')!.ref).toEqual({ kind: 'VirtualService', namespace: NS, name: 'grafana' });
  });

  it('fails when a foreign rule takes part of the paths, and warns when it is younger (it wins once the route is re-created)', () => {
    const partial = virtualService('api-proxy', [prefixRule('/user/alice/api/')], { created: 1 });
    const part = routingHop(ctxWith({ virtualServices: [healthyObjects().route, partial] }));
    expect(part.status).toBe('fail');
    expect(part.summary).toContain('takes part of the requests below /user/alice');
    const younger = virtualService('grafana', [prefixRule('/user/')], { created: 99 });
    const latent = routingHop(ctxWith({ virtualServices: [healthyObjects().route, younger] }));
    expect(latent.status).toBe('warn');
    expect(latent.summary).toContain('only because it is older than VirtualService jupyterhub/grafana');
  });

  it('fails naming a hub route that comes first, and leaves a catch-all alone', () => {
    const { route } = healthyObjects();
    const greedy = hubRoute('/user', { created: 0 });
    greedy.spec.http![0]!.match = [{ uri: { prefix: '/user/' } }];
    const hop = routingHop(ctxWith({ virtualServices: [route, greedy] }));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain('Hub route /user (VirtualService');
    expect(hop.fix).toContain("hubmesh's route reconciler");
    expect(routingHop(ctxWith({ virtualServices: [route, hubRoute('/', { created: 0 })] })).status).toBe('pass');
  });

  it("fails when the route lands on no gateway: a missing Gateway, or hosts the Gateway does not serve", () => {
    const missing = routingHop(ctxWith({ gateways: [] }));
    expect(missing.status).toBe('fail');
    expect(missing.summary).toContain('which does not exist');
    const elsewhere = routingHop(ctxWith({ gateways: [gateway('jupyterhub-gateway', ['other.example.org'])] }));
    expect(elsewhere.summary).toContain(`none of its hosts (${HUB_HOST})`);
    expect(elsewhere.fix).toContain('HUBMESH_HOSTS');
  });

  it('is unknown without a route', () => {
    expect(routingHop(ctxWith({ virtualServices: [] })).status).toBe('unknown');
  });

  it("quotes the server's URL path as the hub does, without the host of host routing", () => {
    expect(serverUrlPath('/user/a b@x', false)).toBe('/user/a%20b@x/');
    expect(serverUrlPath('/alice.hub.example.org/user/alice', true)).toBe('/user/alice/');
    expect(serverUrlPath('/', false)).toBe('/');
  });
});
