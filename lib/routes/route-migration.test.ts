import { describe, expect, it } from 'vitest';
import type { Service } from '../kube/services';
import { ANNOTATIONS } from '../kube/labels';
import { parentReference, renderRouteHTTPRoute } from './httproute';
import { NO_OVERLAYS, parseOverlays, type Overlays } from './overlays';
import { httpRouteRoutes, virtualServiceRoutes } from './route-objects';
import { migrationSteps, otherRouteKind, withoutUnavailable } from './route-migration';
import { renderRouteVirtualService, type RenderContext } from './virtualservice';

const ctx: RenderContext = { namespace: 'jupyterhub', prefix: 'hubmesh', gateway: 'jupyterhub/jupyterhub-gateway', hosts: ['hub.example.com'], hostRouting: false, routeTimeout: undefined };
const parent = parentReference('jupyterhub/jupyterhub-gateway', undefined);
const toHttpRoute = httpRouteRoutes(parent, 'cluster.local');
const dest = { host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: 8888 };
const alice = { path: '/user/alice', data: { target: 'http://jupyter-alice:8888', user: 'alice' }, lastActivity: '2026-11-24T10:00:00.000Z' };
const services: Service[] = [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'hub-canary', namespace: 'jupyterhub' }, spec: { ports: [{ port: 8081 }] } } as Service];
const overlays = (input: unknown): Overlays => {
  const parsed = parseOverlays(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.overlays;
};
const context = { clusterDomain: 'cluster.local', services };

describe('withoutUnavailable', () => {
  it('drops the sections HTTPRoute cannot hold, whole, and says why; the rest stays as it was', () => {
    const input = overlays({ retries: { attempts: 3 }, canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary', port: 8081 } } });
    const { overlays: kept, dropped } = withoutUnavailable(input, toHttpRoute.unavailable);
    expect(dropped.map((e) => e.field)).toEqual(['retries']);
    expect(kept.retries).toBeUndefined();
    expect(kept.canary).toEqual(input.canary);
    expect(toHttpRoute.unavailable(kept)).toEqual([]);
  });

  it('drops a section for one item that cannot be held (a DestinationRule subset in a canary)', () => {
    const input = overlays({ canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary', port: 8081, subset: 'v2' } } });
    const { overlays: kept, dropped } = withoutUnavailable(input, toHttpRoute.unavailable);
    expect(dropped).toEqual([expect.objectContaining({ field: 'canary.destination.subset' })]);
    expect(kept.canary).toBeUndefined();
  });

  it('keeps everything going to VirtualServices: they hold every overlay', () => {
    const input = overlays({ retries: { attempts: 3 }, fault: { abort: { percent: 10, httpStatus: 503 }, scope: 'everyone', expiresAt: '2026-12-01T00:00:00.000Z' } });
    expect(withoutUnavailable(input, virtualServiceRoutes.unavailable)).toEqual({ overlays: input, dropped: [] });
  });
});

describe('migrationSteps', () => {
  it('reads each VirtualService back as its route, destination and the overlays an HTTPRoute can hold', () => {
    const withRetries = overlays({ retries: { attempts: 3 }, canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary' } } });
    const vs = renderRouteVirtualService(alice, dest, ctx, withRetries);
    const { steps, skipped } = migrationSteps([vs], toHttpRoute, context);
    expect(skipped).toEqual([]);
    expect(steps).toHaveLength(1);
    const [step] = steps;
    expect(step!.name).toBe(vs.metadata.name);
    expect(step!.route).toMatchObject({ path: alice.path, data: alice.data, lastActivity: alice.lastActivity });
    expect(step!.destination).toEqual(dest);
    // the canary's Service port is completed from the Service, as a Gateway API backendRef must name it
    expect(step!.overlays.canary?.destination).toEqual({ service: 'hub-canary', port: 8081 });
    expect(step!.overlays.retries).toBeUndefined();
    expect(step!.dropped.map((e) => e.field)).toEqual(['retries']);
  });

  it('reads an HTTPRoute back for a migration to VirtualServices, losing nothing', () => {
    const canary = overlays({ canary: { weights: { current: 80, canary: 20 }, destination: { service: 'hub-canary', port: 8081 } } });
    const route = renderRouteHTTPRoute(alice, dest, { ...ctx, parent }, canary);
    const { steps } = migrationSteps([route], virtualServiceRoutes, context);
    expect(steps).toEqual([{ name: route.metadata.name, route: expect.objectContaining({ path: alice.path, data: alice.data }), destination: dest, overlays: canary, dropped: [] }]);
  });

  it('leaves an object that holds no route where it is, and says why', () => {
    const vs = renderRouteVirtualService(alice, dest, ctx, NO_OVERLAYS);
    delete vs.metadata.annotations![ANNOTATIONS.route];
    const { steps, skipped } = migrationSteps([vs], toHttpRoute, context);
    expect(steps).toEqual([]);
    expect(skipped).toEqual([{ name: vs.metadata.name, reason: expect.stringContaining('holds no route') }]);
  });

  it('migrates a route whose overlays annotation is malformed without them, and says so', () => {
    const vs = renderRouteVirtualService(alice, dest, ctx, NO_OVERLAYS);
    vs.metadata.annotations![ANNOTATIONS.overlays] = '{not json';
    const [step] = migrationSteps([vs], toHttpRoute, context).steps;
    expect(step!.overlays).toEqual(NO_OVERLAYS);
    expect(step!.dropped).toEqual([{ field: 'overlays', message: expect.stringContaining('not JSON') }]);
  });
});

describe('otherRouteKind', () => {
  it('names the kind the other backend stores routes as', () => {
    expect(otherRouteKind(toHttpRoute).kind).toBe('VirtualService');
    expect(otherRouteKind(virtualServiceRoutes).kind).toBe('HTTPRoute');
  });
});
