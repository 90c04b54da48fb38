import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Service } from '../kube/services';
import { describe as legacyDescribe, hasOverlays as legacyHasOverlays, legacyCheckOverlays, legacyOwnRules, setOverlaysInput } from './legacy-overlays';
import { checkOverlays, describeOverlays, editedOverlays, hasOverlays, type Overlays, type OverlayCheckContext, type Preview, type SelectiveRule, type ServiceDestination } from './overlays';
import { ownRules, type Placement, type RenderContext, type RouteRecord } from './virtualservice';

// The registry of overlay sections must render, check and describe exactly as the code it replaced.

const serviceNames = ['hub', 'hub-canary', 'preview', 'dns', 'gone'];
const destination: fc.Arbitrary<ServiceDestination> = fc.record(
  { service: fc.constantFrom(...serviceNames), port: fc.constantFrom(80, 8081, 9090, 53), subset: fc.constantFrom('v1', 'v2') },
  { requiredKeys: ['service'] },
);
const text = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'B', '.', '*', '(', '[', ';', ' ', '\n', 'é', '$', '\\', '=') });
const name = fc.constantFrom('a', 'b', 'c', 'demo', 'feature-x');
const match: fc.Arbitrary<SelectiveRule['match']> = fc.oneof(
  fc.record({ header: fc.constantFrom('x-canary', 'x-a'), exact: text }),
  fc.record({ header: fc.constantFrom('x-canary', 'x-a'), regex: text }),
  fc.record({ cookie: fc.constantFrom('beta', 'hubmesh-preview'), value: text }),
);
const paths = ['/', '/hub', '/hub/api', '/hub/api/users', '/user/alice', '/user/alice/lab', '/jupyter', '/jupyter/hub/api', '/example.com', '/example.com/user/a', '/a b/ü%2F'];
const preview: fc.Arbitrary<Preview> = fc.record(
  {
    name,
    pathPrefix: fc.constantFrom(...paths),
    destination,
    match: fc.constantFrom({ header: true, cookie: false }, { header: false, cookie: true }, { header: true, cookie: true }),
    owner: fc.constant('eng'),
    createdAt: fc.constant('2026-12-01T00:00:00.000Z'),
    expiresAt: fc.constant('2026-12-02T00:00:00.000Z'),
    allowShadow: fc.boolean(),
  },
  { requiredKeys: ['name', 'pathPrefix', 'destination', 'match', 'owner', 'createdAt', 'expiresAt'] },
);
const overlays: fc.Arbitrary<Overlays> = fc.record(
  {
    canary: fc.record({ weights: fc.integer({ min: 0, max: 100 }).map((c) => ({ current: 100 - c, canary: c })), destination }),
    rules: fc.array(fc.record({ name, match, destination }), { maxLength: 4 }),
    previews: fc.array(preview, { maxLength: 4 }),
  },
  { requiredKeys: ['rules'] },
);
const ctx: fc.Arbitrary<RenderContext> = fc.record(
  {
    namespace: fc.constant('jupyterhub'),
    prefix: fc.constant('hubmesh'),
    gateway: fc.constant('jupyterhub/gw'),
    hosts: fc.constant(['*']),
    hostRouting: fc.boolean(),
    routeTimeout: fc.constantFrom(undefined, '30s'),
    clusterDomain: fc.constantFrom('cluster.local', 'corp.example'),
  },
  { requiredKeys: ['namespace', 'prefix', 'gateway', 'hosts', 'hostRouting', 'routeTimeout'] },
);
const route: fc.Arbitrary<RouteRecord> = fc.record({
  path: fc.constantFrom(...paths),
  data: fc.record({ target: fc.constantFrom('http://hub:8081', 'http://jupyter-alice:8888/base', 'http://t:9999/x/') }),
  lastActivity: fc.constant('2026-12-01T00:00:00.000Z'),
});
const placement: fc.Arbitrary<Pick<Placement, 'mode' | 'occupied' | 'claimed' | 'hubApiPath'>> = fc
  .record({
    mode: fc.constantFrom('path', 'catch-all', 'root'),
    occupied: fc.subarray(['user', 'hub', 'jupyter', 'a b', 'x'.repeat(300)]),
    claimed: fc.subarray(paths),
    hubApiPath: fc.constantFrom(undefined, '/hub/api', '/jupyter/hub/api'),
  })
  .map(({ mode, occupied, claimed, hubApiPath }) => ({
    mode,
    occupied: () => occupied,
    claimed: (p: string) => claimed.includes(p),
    ...(hubApiPath === undefined ? {} : { hubApiPath }),
  }));

const service = (serviceName: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service => ({ metadata: { name: serviceName, namespace: 'jupyterhub' }, spec: { ports } });
const checkContext: fc.Arbitrary<OverlayCheckContext> = fc.record({
  namespace: fc.constant('jupyterhub'),
  clusterDomain: fc.constant('cluster.local'),
  services: fc.constantFrom(undefined, [service('hub', [{ port: 8081 }]), service('hub-canary', [{ port: 8081, name: 'http' }]), service('preview', [{ port: 80 }, { port: 9090 }]), service('dns', [{ port: 53, protocol: 'UDP' }])]),
  current: fc.constant({ host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }),
});

const runs = { numRuns: 3000 };

describe('the overlay sections registry, against the code it replaced', () => {
  it('renders every route rule byte for byte the same', () => {
    fc.assert(
      fc.property(route, overlays, ctx, placement, (r, o, c, p) => {
        const target = { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 };
        expect(JSON.stringify(ownRules(r, target, c, o, p))).toBe(JSON.stringify(legacyOwnRules(r, target, c, o, p)));
        expect(hasOverlays(o)).toBe(legacyHasOverlays(o));
      }),
      runs,
    );
  });

  it('checks, describes and keeps the stored previews the same', () => {
    fc.assert(
      fc.property(overlays, overlays, checkContext, (o, stored, c) => {
        expect(checkOverlays(o, c)).toEqual(legacyCheckOverlays(o, c));
        expect(describeOverlays(o, 'overlays')).toBe(legacyDescribe(o));
        expect(JSON.stringify(editedOverlays(o, stored, 'overlays'))).toBe(JSON.stringify(setOverlaysInput(o, stored)));
      }),
      runs,
    );
  });
});
