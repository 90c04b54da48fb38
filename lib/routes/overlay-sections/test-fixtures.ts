import type { Service } from '../../kube/services';
import type { Preview } from './previews';
import type { OverlayCheckContext, OverlayRenderInput } from './section';

/**
 * A route's render input whose pieces show plainly what a section asked of them: matches are the path
 * itself narrowed by each condition (none on "/blocked"), rules and Service destinations keep only names.
 */
export function renderInput(over: Partial<OverlayRenderInput> = {}): OverlayRenderInput {
  return {
    virtualService: 'hubmesh-user-alice',
    routePath: '/user/alice',
    hostRouting: false,
    hubApiPath: '/hub/api',
    routeTo: [{ destination: { host: 'target', port: { number: 8888 } } }],
    rule: (name, match, to) => ({ name, match, route: to }),
    toOwnTarget: (name, match) => [{ name, match, route: over.routeTo ?? [{ destination: { host: 'target', port: { number: 8888 } } }] }],
    toService: (d) => ({ host: d.service }),
    overlayMatches: (routePath, conditions) => (routePath === '/blocked' ? [] : conditions.map((headers) => ({ uri: { prefix: routePath }, headers }))),
    pathMatches: (path) => [{ uri: { prefix: path } }],
    ...over,
  };
}

const service = (name: string, ports: number[]): Service => ({ metadata: { name, namespace: 'hub' }, spec: { ports: ports.map((port) => ({ port })) } });

/** The hub namespace holds `demo` (port 80) and `hub` (8081), which is also the route's own target. */
export const checkContext: OverlayCheckContext = {
  namespace: 'hub',
  clusterDomain: 'cluster.local',
  services: [service('demo', [80]), service('hub', [8081])],
  current: { host: 'hub.hub.svc.cluster.local', port: 8081 },
  data: { target: 'http://hub:8081', user: 'alice' },
  now: new Date('2026-12-01T12:00:00.000Z'),
};

/** A preview of the Service `demo` on /user/alice/lab, selected by its header. */
export const previewFixture = (name: string, over: Partial<Preview> = {}): Preview => ({
  name,
  pathPrefix: '/user/alice/lab',
  destination: { service: 'demo' },
  match: { header: true, cookie: false },
  owner: 'eng',
  createdAt: '2026-12-01T00:00:00.000Z',
  expiresAt: '2026-12-02T00:00:00.000Z',
  ...over,
});
