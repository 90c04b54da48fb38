import { describe, expect, it } from 'vitest';
import type { HTTPRouteObject } from '../kube/httproutes';
import { gateway, HUB_HOST, hubHttpRoute, hubRoute, NS, prefixRule, virtualService } from '../mesh/checkers/test-fixtures';
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

describe('hops 1 and 2 with the httproute backend', () => {
  const gw = `${NS}/jupyterhub-gateway`;
  /** alice's route as an HTTPRoute, with the conditions its Gateway reported (none: no status) */
  function aliceRoute(conditions?: Array<{ type: string; status: 'True' | 'False'; reason?: string; message?: string; observedGeneration?: number }>) {
    const route = hubHttpRoute('/user/alice', { service: SERVICE, user: 'alice', created: 10 });
    route.metadata.generation = 2;
    if (conditions) route.status = { parents: [{ parentRef: { name: 'jupyterhub-gateway', namespace: NS }, controllerName: 'istio.io/gateway-controller', conditions: conditions.map((c) => ({ observedGeneration: 2, ...c })) }] };
    return route;
  }
  const accepted = [
    { type: 'Accepted', status: 'True' as const, reason: 'Accepted' },
    { type: 'ResolvedRefs', status: 'True' as const, reason: 'ResolvedRefs' },
  ];
  const ctxOf = (...httpRoutes: HTTPRouteObject[]) => ctxWith({ virtualServices: [], httpRoutes });

  it("passes on the Gateway's Accepted and ResolvedRefs, each shown per Gateway", () => {
    const hop = routeHop(ctxOf(aliceRoute(accepted)));
    expect(hop).toMatchObject({ id: 'route', status: 'pass', title: 'The hub added the route, and its Gateway accepted it' });
    expect(hop.summary).toContain('(HTTPRoute jupyterhub/hubmesh-user-alice-');
    expect(hop.evidence[0]!.ref).toMatchObject({ kind: 'HTTPRoute', namespace: NS });
    expect(hop.evidence.find((e) => e.label === `ResolvedRefs on ${gw}`)!.value).toBe('True (ResolvedRefs)');
  });

  it('fails with the reason and message of a negative condition, warns on a stale generation, and is unknown without status', () => {
    const broken = routeHop(ctxOf(aliceRoute([accepted[0]!, { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: 'backend(jupyter-alice) not found' }])));
    expect(broken.status).toBe('fail');
    expect(broken.summary).toBe(`Gateway ${gw}: ResolvedRefs is False (BackendNotFound): backend(jupyter-alice) not found: the Gateway does not serve the route as it is.`);
    expect(broken.fix).toContain('BackendNotFound means the Service the route names does not exist');
    const stale = routeHop(ctxOf(aliceRoute(accepted.map((c) => ({ ...c, observedGeneration: 1 })))));
    expect(stale.status).toBe('warn');
    expect(stale.summary).toContain('generation 2');
    expect(routeHop(ctxOf(aliceRoute()))).toMatchObject({ status: 'unknown', summary: expect.stringContaining('No Gateway has reported on HTTPRoute') });
  });

  it("checks hop 2 by the Gateway API's precedence (the longest path), not by istiod's merge order", () => {
    const alice = aliceRoute(accepted);
    // an older hub route with a shorter path does not take alice's requests, as it would in a VirtualService merge
    const hubRoot = hubHttpRoute('/', { service: 'hub', created: 1 });
    const hop = routingHop(ctxOf(alice, hubRoot));
    expect(hop.status).toBe('pass');
    expect(hop.summary).toContain("Of the hub's routes, its own PathPrefix /user/alice is the longest over /user/alice/");
    expect(hop.summary).toContain("hubmesh does not watch other owners' HTTPRoutes");
    expect(hop.evidence.find((e) => e.label === 'Serves /user/alice/')!.ref).toMatchObject({ kind: 'HTTPRoute', name: alice.metadata.name });
    // an older hub route with the same path (a left-over object under another name) wins the tie: the oldest route first
    const leftOver = hubHttpRoute('/user/alice', { service: 'jupyter-alice-old', created: 5 });
    leftOver.metadata.name = 'hubmesh-user-alice-old';
    const lost = routingHop(ctxOf(alice, leftOver));
    expect(lost.status).toBe('fail');
    expect(lost.summary).toBe(`Hub route /user/alice (HTTPRoute ${NS}/hubmesh-user-alice-old) comes first for /user/alice/ (the same path, and older), so the Gateway sends its requests there.`);
    expect(routingHop(ctxOf(aliceRoute()))).toMatchObject({ status: 'unknown' });
  });
});
