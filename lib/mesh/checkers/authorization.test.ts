import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import { authorizationSelectsNothing, identityWithoutMtls, invalidMethod, principalWithoutIdentity } from './authorization';
import { NS, snapshot } from './test-fixtures';

const policy = (name: string, spec: AuthorizationPolicy['spec'], namespace = NS): AuthorizationPolicy => ({ metadata: { name, namespace }, spec });
const pod = (name: string, labels: Record<string, string>, serviceAccountName?: string): Pod => ({ metadata: { name, namespace: NS, labels }, spec: { serviceAccountName, containers: [] } });
const notebooks = { matchLabels: { component: 'singleuser-server' } };

describe('HM6001 AuthorizationPolicy selects no pod', () => {
  it('flags a selector no pod of the namespace matches, and not a namespace-wide policy', () => {
    const typo = policy('isolate', { selector: { matchLabels: { component: 'singleuser' } }, rules: [{}] });
    const fine = policy('fine', { selector: notebooks, rules: [{}] });
    const wide = policy('wide', { rules: [{}] });
    const findings = authorizationSelectsNothing.check(snapshot({ authorizationPolicies: [typo, fine, wide], pods: [pod('jupyter-alice', { component: 'singleuser-server' })] }));
    expect(findings).toEqual([
      {
        code: 'HM6001',
        severity: 'warning',
        message: 'AuthorizationPolicy jupyterhub/isolate selects pods labelled component=singleuser, and no pod in jupyterhub has those labels: it applies to nothing.',
        object: { kind: 'AuthorizationPolicy', namespace: NS, name: 'isolate' },
      },
    ]);
  });
});

describe('HM6002 identities without STRICT mTLS', () => {
  const allow = policy('allow', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/gw'] } }] }] });
  const deny = policy('deny', { action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['istio-system'] } }] }] }, 'istio-system');
  it('explains what plaintext does to an ALLOW and to a DENY rule on identities', () => {
    const findings = identityWithoutMtls.check(snapshot({ authorizationPolicies: [allow, deny, policy('paths', { rules: [{ to: [{ operation: { paths: ['/x'] } }] }] })], effectiveMtls: { [NS]: 'PERMISSIVE' } }));
    expect(findings.map((f) => f.message)).toEqual([
      'AuthorizationPolicy jupyterhub/allow uses principals, but jupyterhub runs PERMISSIVE mTLS: plaintext requests are refused by it. Make jupyterhub STRICT.',
      'AuthorizationPolicy istio-system/deny uses notNamespaces, but jupyterhub runs PERMISSIVE mTLS: plaintext requests are not matched and get past it. Make jupyterhub STRICT.',
    ]);
  });
  it('is quiet under STRICT', () => {
    expect(identityWithoutMtls.check(snapshot({ authorizationPolicies: [allow, deny], effectiveMtls: { [NS]: 'STRICT' } }))).toEqual([]);
  });
});

describe('HM6003 principal names no identity', () => {
  it('flags a foreign trust domain and a hub-namespace account no pod runs as', () => {
    const p = policy('isolate', {
      rules: [{ from: [{ source: { principals: ['example.org/ns/istio-system/sa/gw', 'cluster.local/ns/jupyterhub/sa/hub', 'cluster.local/ns/jupyterhub/sa/hbu', 'cluster.local/ns/other/sa/x', 'cluster.local/ns/jupyterhub/*'] } }] }],
    });
    const findings = principalWithoutIdentity.check(snapshot({ authorizationPolicies: [p], pods: [pod('hub-1', { component: 'hub' }, 'hub')] }));
    expect(findings.map((f) => f.message)).toEqual([
      "AuthorizationPolicy jupyterhub/isolate: example.org/ns/istio-system/sa/gw has trust domain example.org, not the mesh's cluster.local, so it never matches.",
      'AuthorizationPolicy jupyterhub/isolate: cluster.local/ns/jupyterhub/sa/hbu: no pod in jupyterhub runs as service account hbu.',
    ]);
  });
});

describe('HM6004 method that is not an HTTP method', () => {
  it('flags lower-case and made-up methods, and accepts HTTP and gRPC ones', () => {
    const p = policy('methods', { rules: [{ to: [{ operation: { methods: ['GET', 'get', 'READ', '/hub.Users/List'], notMethods: ['PATCH'] } }] }] });
    expect(invalidMethod.check(snapshot({ authorizationPolicies: [p] })).map((f) => f.message)).toEqual(['AuthorizationPolicy jupyterhub/methods lists "get", "READ", which are not an HTTP method: it never matches.']);
  });
});
