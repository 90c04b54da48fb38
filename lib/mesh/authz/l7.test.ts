import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import { l7Attributes, needsWaypoint, policiesNeedingWaypoint } from './l7';

const policy = (spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ metadata: { name: 'notebooks', namespace: 'jhub' }, spec });
const HUB = 'cluster.local/ns/jhub/sa/hub';

describe('l7Attributes and needsWaypoint (what ztunnel cannot enforce)', () => {
  it('finds nothing HTTP in a policy of principals, namespaces, ports and L4 conditions', () => {
    const l4 = policy({
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: [HUB], namespaces: ['jhub'], ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.1.0.0/16'] } }],
          to: [{ operation: { ports: ['8888'], notPorts: ['15020'] } }],
          when: [
            { key: 'source.ip', values: ['10.0.0.1'] },
            { key: 'source.namespace', values: ['jhub'] },
            { key: 'source.principal', values: [HUB] },
            { key: 'destination.ip', values: ['10.0.0.2'] },
            { key: 'destination.port', values: ['8888'] },
          ],
        },
      ],
    });
    expect(l7Attributes(l4)).toEqual([]);
    expect(needsWaypoint(l4)).toBe(false);
    expect(needsWaypoint(policy({ action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['jhub'] } }] }] }))).toBe(false);
    // no rules and no spec: nothing to enforce beyond what ztunnel does
    expect(needsWaypoint(policy({}))).toBe(false);
    expect(needsWaypoint({ metadata: { name: 'empty' } })).toBe(false);
  });

  it("names every HTTP operation and source field and non-L4 condition by Istio's names, sorted and once", () => {
    const l7 = policy({
      rules: [
        {
          to: [{ operation: { hosts: ['a'], notHosts: ['b'], methods: ['GET'], notMethods: ['POST'], paths: ['/user/*'], notPaths: ['/hub/*'] } }],
          from: [{ source: { remoteIpBlocks: ['1.2.3.4'], notRemoteIpBlocks: ['5.6.7.8'], requestPrincipals: ['*'], notRequestPrincipals: ['x/y'] } }],
          when: [{ key: 'request.headers[x-user]', values: ['alice'] }, { key: 'request.auth.claims[iss]', values: ['hub'] }],
        },
        { to: [{ operation: { methods: ['PUT'] } }] },
      ],
    });
    expect(l7Attributes(l7)).toEqual([
      'hosts',
      'methods',
      'notHosts',
      'notMethods',
      'notPaths',
      'notRemoteIpBlocks',
      'notRequestPrincipals',
      'paths',
      'remoteIpBlocks',
      'request.auth.claims[iss]',
      'request.headers[x-user]',
      'requestPrincipals',
    ]);
    expect(needsWaypoint(l7)).toBe(true);
  });

  it('ignores empty lists, as istiod does', () => {
    expect(l7Attributes(policy({ rules: [{ to: [{ operation: { methods: [], paths: [] } }], from: [{ source: { requestPrincipals: [] } }] }] }))).toEqual([]);
  });

  it('needs a waypoint for CUSTOM and AUDIT, which ztunnel does not support', () => {
    expect(needsWaypoint(policy({ action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, rules: [{}] }))).toBe(true);
    expect(needsWaypoint(policy({ action: 'AUDIT', rules: [{}] }))).toBe(true);
  });
});

describe('policiesNeedingWaypoint', () => {
  const notebook = { namespace: 'jhub', labels: { component: 'singleuser-server' } };
  const named = (name: string, namespace: string, spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ metadata: { name, namespace }, spec });
  const methodsOnly = { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] };

  it('keeps the L7 policies ztunnel would apply to the workload: its namespace and the root namespace, selected, not dry runs', () => {
    const policies = [
      named('l7-here', 'jhub', methodsOnly),
      named('l7-mesh', 'istio-system', methodsOnly),
      named('l4-here', 'jhub', { rules: [{ from: [{ source: { principals: ['x'] } }] }] }),
      named('l7-elsewhere', 'other', methodsOnly),
      named('l7-other-pods', 'jhub', { ...methodsOnly, selector: { matchLabels: { component: 'hub' } } }),
      named('l7-waypoint', 'jhub', { ...methodsOnly, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] }),
      { ...named('l7-dry-run', 'jhub', methodsOnly), metadata: { name: 'l7-dry-run', namespace: 'jhub', annotations: { 'istio.io/dry-run': 'true' } } },
    ];
    expect(policiesNeedingWaypoint(policies, notebook, 'istio-system').map((p) => p.metadata.name)).toEqual(['l7-here', 'l7-mesh']);
  });
});
