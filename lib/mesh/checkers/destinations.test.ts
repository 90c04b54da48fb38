import { describe, expect, it } from 'vitest';
import { destinationPortMissing } from './destination-port-missing';
import { destinationPortNotHttp } from './destination-port-not-http';
import { destinationServiceMissing } from './destination-service-missing';
import { routeWithoutPod } from './route-without-pod';
import { podWithoutRoute } from './pod-without-route';
import { hubHttpRoute, hubRoute, notebookPod, NS, prefixRule, service, snapshot, virtualService } from './test-fixtures';

describe('HM2001 destinationServiceMissing', () => {
  it("reports a route to a Service that does not exist, by FQDN or short name", () => {
    const route = hubRoute('/user/alice', { service: 'jupyter-alice' });
    const short = virtualService('short', [prefixRule('/x/', 'ghost')]);
    const findings = destinationServiceMissing.check(snapshot({ virtualServices: [route, short] }));
    expect(findings.map((f) => [f.object.name, f.related])).toEqual([
      [route.metadata.name, [{ kind: 'Service', namespace: NS, name: 'jupyter-alice' }]],
      ['short', [{ kind: 'Service', namespace: NS, name: 'ghost' }]],
    ]);
    expect(findings[0]).toMatchObject({ code: 'HM2001', severity: 'error' });
  });

  it('accepts existing Services, and does not judge external hosts or unobserved namespaces', () => {
    const vss = [
      hubRoute('/user/alice', { service: 'jupyter-alice' }),
      virtualService('ext', [prefixRule('/a/', 'example.org'), prefixRule('/b/', 'x.elsewhere.svc.cluster.local')]),
    ];
    expect(destinationServiceMissing.check(snapshot({ virtualServices: vss, services: [service('jupyter-alice')] }))).toEqual([]);
  });
});

describe('HM2002 destinationPortMissing', () => {
  it('reports a port number the Service does not expose', () => {
    const findings = destinationPortMissing.check(
      snapshot({ virtualServices: [hubRoute('/user/alice', { service: 'nb', port: 9999 })], services: [service('nb', [{ name: 'http', port: 8888 }])] }),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'HM2002', related: [{ kind: 'Service', name: 'nb' }] });
    expect(findings[0]!.message).toContain('port 9999');
    expect(findings[0]!.message).toContain('exposes ports 8888');
  });

  it('accepts an exposed port and a destination without a port', () => {
    const s = snapshot({
      virtualServices: [hubRoute('/user/alice', { service: 'nb', port: 8888 }), virtualService('x', [prefixRule('/x/', 'nb')])],
      services: [service('nb')],
    });
    expect(destinationPortMissing.check(s)).toEqual([]);
  });
});

describe('HM2003 destinationPortNotHttp', () => {
  const withPort = (port: Parameters<typeof service>[1]) =>
    destinationPortNotHttp.check(snapshot({ virtualServices: [hubRoute('/user/alice', { service: 'nb', port: 8888 })], services: [service('nb', port)] }));

  it('reports a port declared TCP by name, and one left to sniffing', () => {
    const tcp = withPort([{ name: 'tcp-notebook', port: 8888 }]);
    expect(tcp).toHaveLength(1);
    expect(tcp[0]).toMatchObject({ code: 'HM2003', severity: 'warning', related: [{ kind: 'Service', name: 'nb' }] });
    expect(tcp[0]!.message).toContain('is TCP by its name');
    expect(withPort([{ name: 'notebook', port: 8888 }])[0]!.message).toContain('sniff');
    expect(withPort([{ name: 'http', appProtocol: 'tcp', port: 8888 }])[0]!.message).toContain('appProtocol "tcp"');
  });

  it('accepts http, http-*, grpc and appProtocol http ports, and picks the only port when none is named', () => {
    expect(withPort([{ name: 'http', port: 8888 }])).toEqual([]);
    expect(withPort([{ name: 'http-nb', port: 8888 }])).toEqual([]);
    expect(withPort([{ name: 'web', appProtocol: 'http', port: 8888 }])).toEqual([]);
    const portless = virtualService('x', [prefixRule('/x/', 'nb')]);
    expect(destinationPortNotHttp.check(snapshot({ virtualServices: [portless], services: [service('nb', [{ name: 'tcp', port: 8888 }])] }))).toHaveLength(1);
    expect(destinationPortNotHttp.check(snapshot({ virtualServices: [portless], services: [service('nb', [{ name: 'http', port: 8888 }])] }))).toEqual([]);
  });
});

describe('HM2004 routeWithoutPod', () => {
  const route = hubRoute('/user/alice', { service: 'jupyter-alice' });

  it("reports a hub route whose Service selects no pod, or only finished ones", () => {
    for (const pods of [[], [notebookPod('jupyter-alice', 'alice', { phase: 'Succeeded' })]]) {
      const findings = routeWithoutPod.check(snapshot({ virtualServices: [route], services: [service('jupyter-alice')], pods }));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ code: 'HM2004', object: { name: route.metadata.name }, related: [{ kind: 'Service', name: 'jupyter-alice' }] });
      expect(findings[0]!.message).toContain('app=jupyter-alice');
    }
  });

  it('accepts a live pod (even a pending one), and ignores missing Services, selector-less Services and foreign VirtualServices', () => {
    const pending = [notebookPod('jupyter-alice', 'alice', { phase: 'Pending' })];
    expect(routeWithoutPod.check(snapshot({ virtualServices: [route], services: [service('jupyter-alice')], pods: pending }))).toEqual([]);
    expect(routeWithoutPod.check(snapshot({ virtualServices: [route] }))).toEqual([]);
    expect(routeWithoutPod.check(snapshot({ virtualServices: [route], services: [service('jupyter-alice', undefined, {})] }))).toEqual([]);
    expect(routeWithoutPod.check(snapshot({ virtualServices: [virtualService('x', [prefixRule('/x/', 'nb')])], services: [service('nb')] }))).toEqual([]);
  });
});

describe('the route, Service and pod chain with the httproute backend', () => {
  const alice = hubHttpRoute('/user/alice', { service: 'jupyter-alice', user: 'alice' });

  it("follows an HTTPRoute's backendRefs: a missing Service, a port it does not expose, a Service without pods", () => {
    const missing = destinationServiceMissing.check(snapshot({ httpRoutes: [alice] }));
    expect(missing).toMatchObject([{ code: 'HM2001', object: { kind: 'HTTPRoute', namespace: NS, name: alice.metadata.name }, related: [{ kind: 'Service', name: 'jupyter-alice' }] }]);
    expect(missing[0]!.message).toBe(`HTTPRoute ${NS}/${alice.metadata.name} routes to jupyter-alice.${NS}.svc.cluster.local, but Service ${NS}/jupyter-alice does not exist: requests on that route get 503.`);
    const wrongPort = destinationPortMissing.check(snapshot({ httpRoutes: [alice], services: [service('jupyter-alice', [{ name: 'http', port: 8080 }])] }));
    expect(wrongPort).toMatchObject([{ code: 'HM2002', object: { kind: 'HTTPRoute' } }]);
    expect(wrongPort[0]!.message).toContain('routes to port 8888');
    const gone = routeWithoutPod.check(snapshot({ httpRoutes: [alice], services: [service('jupyter-alice')] }));
    expect(gone).toMatchObject([{ code: 'HM2004', object: { kind: 'HTTPRoute', name: alice.metadata.name } }]);
    expect(gone[0]!.message).toContain(`Hub route /user/alice (HTTPRoute ${NS}/${alice.metadata.name})`);
  });

  it('finds no fault in a whole chain, and a notebook pod behind an HTTPRoute has a route', () => {
    const s = snapshot({ httpRoutes: [alice], services: [service('jupyter-alice')], pods: [notebookPod('jupyter-alice', 'alice'), notebookPod('jupyter-bob', 'bob')] });
    for (const checker of [destinationServiceMissing, destinationPortMissing, destinationPortNotHttp, routeWithoutPod]) expect(checker.check(s)).toEqual([]);
    expect(podWithoutRoute.check(s).map((f) => f.object.name)).toEqual(['jupyter-bob']);
  });
});
