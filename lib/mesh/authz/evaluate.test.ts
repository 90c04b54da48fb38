import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import { applicablePolicies, decide, istioStringMatch, pathMatches, principalNamespace, type AuthzRequest } from './evaluate';

const GATEWAY = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const HUB = 'cluster.local/ns/jupyterhub/sa/hub';
const NOTEBOOK = 'cluster.local/ns/jupyterhub/sa/default';

const policy = (name: string, spec: AuthorizationPolicy['spec'], namespace = 'jupyterhub'): AuthorizationPolicy => ({ metadata: { name, namespace }, spec });
const notebook = { namespace: 'jupyterhub', labels: { component: 'singleuser-server', 'hub.jupyter.org/username': 'alice' } };
const request = (overrides: Partial<AuthzRequest> = {}): AuthzRequest => ({ principal: GATEWAY, port: 8888, method: 'GET', path: '/user/alice/api/kernels', ...overrides });

describe('Istio string matching', () => {
  it.each([
    ['*', 'anything', true],
    ['*', '', false],
    ['cluster.local/ns/a/*', 'cluster.local/ns/a/sa/b', true],
    ['*/sa/b', 'cluster.local/ns/a/sa/b', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(istioStringMatch(pattern, value)).toBe(expected);
  });

  it('matches paths with wildcards and templates, ignoring the query', () => {
    expect(pathMatches('/user/*', '/user/alice/lab?token=x')).toBe(true);
    expect(pathMatches('/user/{*}/api/{**}', '/user/alice/api/kernels/1')).toBe(true);
    expect(pathMatches('/user/{*}/api/{**}', '/user/alice/lab')).toBe(false);
    expect(pathMatches('/user/{*}', '/user/alice/lab')).toBe(false);
    expect(pathMatches('/user/{*}', '/user//')).toBe(false);
    // a `*` inside a path is literal: only a leading or trailing one is a wildcard
    expect(pathMatches('/user/*/api/*', '/user/alice/api/kernels')).toBe(false);
    expect(pathMatches('*.ipynb', '/user/alice/files/a.ipynb')).toBe(true);
  });

  it('reads the namespace from a principal', () => {
    expect(principalNamespace(HUB)).toBe('jupyterhub');
    expect(principalNamespace(undefined)).toBeUndefined();
  });
});

describe('which policies apply to a workload', () => {
  const all = [
    policy('namespace-wide', { action: 'ALLOW', rules: [{}] }),
    policy('empty-selector', { selector: { matchLabels: {} }, rules: [{}] }),
    policy('notebooks', { selector: { matchLabels: { component: 'singleuser-server' } } }),
    policy('hub', { selector: { matchLabels: { component: 'hub' } } }),
    policy('mesh-wide', { action: 'DENY', rules: [] }, 'istio-system'),
    policy('mesh-notebooks', { selector: { matchLabels: { component: 'singleuser-server' } } }, 'istio-system'),
    policy('other-namespace', {}, 'elsewhere'),
    policy('waypoint', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] }),
    { ...policy('dry-run', { rules: [] }), metadata: { name: 'dry-run', namespace: 'jupyterhub', annotations: { 'istio.io/dry-run': 'true' } } },
  ];
  it('takes its namespace and the root namespace, by selector, and leaves out targetRefs and dry-run policies', () => {
    expect(applicablePolicies(all, notebook, 'istio-system').map((p) => p.metadata.name)).toEqual(['namespace-wide', 'empty-selector', 'notebooks', 'mesh-wide', 'mesh-notebooks']);
  });
});

describe('the decision, in Istio order', () => {
  it('allows everything when no ALLOW policy applies', () => {
    expect(decide([], request({ principal: undefined }))).toMatchObject({ allowed: true, decidedBy: 'no-allow-policies', policies: [] });
  });

  it('lets in exactly the principals an ALLOW policy names, and denies the rest implicitly', () => {
    const allow = policy('isolate', { rules: [{ from: [{ source: { principals: [GATEWAY, HUB] } }] }] });
    expect(decide([allow], request())).toMatchObject({ allowed: true, decidedBy: 'allow-policy', policies: [{ name: 'isolate' }] });
    expect(decide([allow], request({ principal: HUB }))).toMatchObject({ allowed: true });
    expect(decide([allow], request({ principal: NOTEBOOK }))).toMatchObject({ allowed: false, decidedBy: 'no-allow-match', policies: [{ name: 'isolate' }] });
    // plaintext has no principal: a principals rule never matches it
    expect(decide([allow], request({ principal: undefined }))).toMatchObject({ allowed: false });
  });

  it('treats `rules: [{}]` as allow-all and an ALLOW policy without rules as deny-all', () => {
    expect(decide([policy('all', { rules: [{}] })], request({ principal: undefined })).allowed).toBe(true);
    expect(decide([policy('none', { action: 'ALLOW' })], request())).toMatchObject({ allowed: false, decidedBy: 'no-allow-match' });
    // a DENY policy without rules denies nothing
    expect(decide([policy('deny-nothing', { action: 'DENY' })], request()).allowed).toBe(true);
  });

  it('evaluates DENY before ALLOW', () => {
    const allowAll = policy('all', { rules: [{}] });
    const deny = policy('no-notebooks', { action: 'DENY', rules: [{ from: [{ source: { principals: [NOTEBOOK] } }] }] });
    expect(decide([allowAll, deny], request({ principal: NOTEBOOK }))).toMatchObject({ allowed: false, decidedBy: 'deny-policy', policies: [{ name: 'no-notebooks' }] });
    expect(decide([allowAll, deny], request()).allowed).toBe(true);
  });

  it('asks CUSTOM policies first but does not let them decide', () => {
    const custom = policy('ext', { action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, rules: [{ to: [{ operation: { paths: ['/user/*'] } }] }] });
    const decision = decide([custom], request());
    expect(decision).toMatchObject({ allowed: true, decidedBy: 'no-allow-policies', custom: [{ name: 'ext' }] });
    expect(decide([custom], request({ path: '/hub/' })).custom).toEqual([]);
  });

  it('ignores AUDIT policies', () => {
    expect(decide([policy('audit', { action: 'AUDIT', rules: [{}] })], request()).decidedBy).toBe('no-allow-policies');
  });

  it('matches namespaces and notPrincipals, where plaintext has no namespace and is not any principal', () => {
    const fromHubNamespace = policy('ns', { rules: [{ from: [{ source: { namespaces: ['jupyterhub'] } }] }] });
    expect(decide([fromHubNamespace], request({ principal: NOTEBOOK })).allowed).toBe(true);
    expect(decide([fromHubNamespace], request()).allowed).toBe(false);
    expect(decide([fromHubNamespace], request({ principal: undefined })).allowed).toBe(false);
    const denyOthers = policy('deny-others', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: [GATEWAY] } }] }] });
    expect(decide([denyOthers], request({ principal: undefined })).allowed).toBe(false);
    expect(decide([denyOthers], request()).allowed).toBe(true);
  });

  it('matches ports, methods and paths, any of a list and all of the fields', () => {
    const p = policy('api', { rules: [{ to: [{ operation: { ports: ['8888'], methods: ['GET', 'HEAD'], paths: ['/user/{*}/api/{**}'] } }] }] });
    expect(decide([p], request()).allowed).toBe(true);
    expect(decide([p], request({ method: 'POST' })).allowed).toBe(false);
    expect(decide([p], request({ port: 9999 })).allowed).toBe(false);
    expect(decide([p], request({ path: '/user/alice/lab' })).allowed).toBe(false);
    const notPaths = policy('not-api', { rules: [{ to: [{ operation: { notPaths: ['/api/routes', '/api/routes/*'] } }] }] });
    expect(decide([notPaths], request({ path: '/api/routes/user/alice' })).allowed).toBe(false);
    expect(decide([notPaths], request({ path: '/api/v1/routes' })).allowed).toBe(true);
  });

  it('needs every part of a rule and any rule of a policy', () => {
    const p = policy('two', {
      rules: [
        { from: [{ source: { principals: [HUB] } }], to: [{ operation: { paths: ['/api/routes*'] } }] },
        { from: [{ source: { principals: [GATEWAY] } }], to: [{ operation: { notPaths: ['/api/routes*'] } }] },
      ],
    });
    expect(decide([p], request({ principal: HUB, path: '/api/routes' })).allowed).toBe(true);
    expect(decide([p], request({ principal: GATEWAY, path: '/api/routes' })).allowed).toBe(false);
    expect(decide([p], request({ principal: GATEWAY, path: '/' })).allowed).toBe(true);
    expect(decide([p], request({ principal: HUB, path: '/' })).allowed).toBe(false);
  });

  it('evaluates `when` on headers and the source, and says unknown for what configuration cannot know', () => {
    const header = policy('header', { rules: [{ when: [{ key: 'request.headers[X-Grader]', values: ['yes'] }] }] });
    expect(decide([header], request({ headers: { 'x-grader': 'yes' } })).allowed).toBe(true);
    expect(decide([header], request()).allowed).toBe(false);
    const ip = policy('ip', { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] });
    expect(decide([ip], request({ sourceIp: '10.1.2.3' })).allowed).toBe(true);
    expect(decide([ip], request({ sourceIp: '192.168.0.1' })).allowed).toBe(false);
    expect(decide([ip], request())).toMatchObject({ allowed: 'unknown', unknowns: ['the source address'] });
    const sni = policy('sni', { action: 'DENY', rules: [{ when: [{ key: 'connection.sni', values: ['x'] }] }] });
    expect(decide([sni], request())).toMatchObject({ allowed: 'unknown', decidedBy: 'deny-policy', unknowns: ['the condition on connection.sni'] });
  });

  it('on TCP drops ALLOW rules with HTTP-only fields and widens DENY rules by ignoring them', () => {
    const allowPaths = policy('paths', { rules: [{ to: [{ operation: { paths: ['/*'] } }] }] });
    expect(decide([allowPaths], request({ protocol: 'tcp' })).allowed).toBe(false);
    const denyPaths = policy('deny-paths', { action: 'DENY', rules: [{ from: [{ source: { principals: [NOTEBOOK] } }], to: [{ operation: { paths: ['/admin'] } }] }] });
    expect(decide([denyPaths], request({ protocol: 'tcp', principal: NOTEBOOK })).allowed).toBe(false);
    expect(decide([denyPaths], request({ protocol: 'http', principal: NOTEBOOK })).allowed).toBe(true);
  });
});
