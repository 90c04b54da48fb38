import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  evaluateRbacFilter,
  evaluateRbacFilters,
  evaluateRules,
  headerMatches,
  metadataMatches,
  pathMatches,
  permissionMatches,
  policyMatches,
  principalMatches,
  stringMatches,
  type RbacFilter,
  type RbacRequest,
} from './envoy-rbac';

/** Envoy's RBAC semantics on hand-written configurations shaped like Istio's (no cluster, no oracle). */

const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const HUB = 'spiffe://cluster.local/ns/jupyterhub/sa/hub';
const req = (over: Partial<RbacRequest> = {}): RbacRequest => ({ principal: HUB, port: 8888, method: 'GET', path: '/user/alice/api/kernels', host: 'jupyter-alice:8888', ...over });
const plaintext = (over: Partial<RbacRequest> = {}): RbacRequest => {
  const r = req(over);
  delete r.principal;
  return r;
};

// Istio's shapes (pilot/pkg/security/authz/model): and_rules/and_ids around or_rules/or_ids of the values
const anyPermission = { and_rules: { rules: [{ any: true }] } };
const anyPrincipal = { and_ids: { ids: [{ any: true }] } };
const fromPrincipals = (...names: string[]) => ({ and_ids: { ids: [{ or_ids: { ids: names.map((n) => ({ authenticated: { principal_name: { exact: n } } })) } }] } });
const policy = (permissions: unknown[], principals: unknown[]) => ({ permissions, principals });
const rbacFilter = (rules?: Record<string, unknown>, shadow?: Record<string, unknown>): RbacFilter => ({
  name: 'envoy.filters.http.rbac',
  config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', ...(rules ? { rules } : {}), ...(shadow ? { shadow_rules: shadow } : {}), shadow_rules_stat_prefix: 'istio_dry_run_allow_' },
});

describe('string matchers', () => {
  it('exact, prefix, suffix, contains, with ignore_case', () => {
    expect(stringMatches({ exact: '/a' }, '/a')).toBe(true);
    expect(stringMatches({ exact: '/a' }, '/A')).toBe(false);
    expect(stringMatches({ exact: '/a', ignore_case: true }, '/A')).toBe(true);
    expect(stringMatches({ prefix: '/user/' }, '/user/alice')).toBe(true);
    expect(stringMatches({ prefix: '/USER/', ignore_case: true }, '/user/alice')).toBe(true);
    expect(stringMatches({ suffix: '/kernels' }, '/api/kernels')).toBe(true);
    expect(stringMatches({ suffix: '/kernels' }, '/api/kernels/')).toBe(false);
    expect(stringMatches({ contains: '/api/' }, '/user/alice/api/x')).toBe(true);
  });

  it('safe_regex is an RE2 full match', () => {
    expect(stringMatches({ safe_regex: { regex: '.*/ns/jupyterhub/.*' } }, HUB)).toBe(true);
    expect(stringMatches({ safe_regex: { regex: 'ns/jupyterhub' } }, HUB)).toBe(false); // not a search
    expect(stringMatches({ safe_regex: { regex: '.+' } }, '')).toBe(false);
    expect(() => stringMatches({ safe_regex: { regex: '(' } }, 'x')).toThrow(/not valid RE2/);
    expect(() => stringMatches({ safe_regex: { regex: '(?=x)' } }, 'x')).toThrow(/not valid RE2/); // no lookahead in RE2
    expect(() => stringMatches({ safe_regex: { regex: 'a' }, ignore_case: true }, 'a')).toThrow(/ignore_case/);
  });

  it('throws on a kind it does not evaluate', () => {
    expect(() => stringMatches({ custom: { name: 'x' } }, 'x')).toThrow(/"custom" is not evaluated/);
    expect(() => stringMatches({}, 'x')).toThrow(/exactly one/);
  });
});

describe('header matchers', () => {
  const r = req({ method: 'POST', headers: { 'x-a': 'one', 'x-multi': ['a', 'b'] } });
  it('pseudo headers and headers, several values joined with ","', () => {
    expect(headerMatches({ name: ':method', string_match: { exact: 'POST' } }, r)).toBe(true);
    expect(headerMatches({ name: ':method', string_match: { exact: 'GET' } }, r)).toBe(false);
    expect(headerMatches({ name: ':authority', string_match: { prefix: 'jupyter-alice', ignore_case: true } }, r)).toBe(true);
    expect(headerMatches({ name: 'X-A', string_match: { exact: 'one' } }, r)).toBe(true);
    expect(headerMatches({ name: 'x-multi', string_match: { exact: 'a,b' } }, r)).toBe(true);
    expect(headerMatches({ name: ':path', string_match: { exact: '/user/alice/api/kernels' } }, r)).toBe(true);
  });
  it('present_match, invert_match and absent headers', () => {
    expect(headerMatches({ name: 'x-a', present_match: true }, r)).toBe(true);
    expect(headerMatches({ name: 'x-none', present_match: true }, r)).toBe(false);
    expect(headerMatches({ name: 'x-none', present_match: false }, r)).toBe(true);
    expect(headerMatches({ name: 'x-none', present_match: true, invert_match: true }, r)).toBe(true);
    expect(headerMatches({ name: 'x-a', string_match: { exact: 'two' }, invert_match: true }, r)).toBe(true);
    // an absent header never matches a value matcher, inverted or not, unless treated as empty
    expect(headerMatches({ name: 'x-none', string_match: { exact: 'two' }, invert_match: true }, r)).toBe(false);
    expect(headerMatches({ name: 'x-none', string_match: { exact: '' }, treat_missing_header_as_empty: true }, r)).toBe(true);
  });
  it('the deprecated direct forms and range_match', () => {
    expect(headerMatches({ name: 'x-a', exact_match: 'one' }, r)).toBe(true);
    expect(headerMatches({ name: 'x-a', prefix_match: 'o' }, r)).toBe(true);
    expect(headerMatches({ name: 'x-a', suffix_match: 'ne' }, r)).toBe(true);
    expect(headerMatches({ name: 'x-a', contains_match: 'n' }, r)).toBe(true);
    expect(headerMatches({ name: 'x-a', safe_regex_match: { regex: 'o.e' } }, r)).toBe(true);
    expect(headerMatches({ name: 'x-n', range_match: { start: '1', end: '10' } }, req({ headers: { 'x-n': '9' } }))).toBe(true);
    expect(headerMatches({ name: 'x-n', range_match: { start: '1', end: '10' } }, req({ headers: { 'x-n': '10' } }))).toBe(false);
  });
  it('a network filter sees no headers', () => {
    expect(headerMatches({ name: ':method', string_match: { exact: 'GET' } }, req(), 'tcp')).toBe(false);
    expect(headerMatches({ name: ':method', present_match: false }, req(), 'tcp')).toBe(true);
  });
  it('needs the request to say what a rule asks', () => {
    expect(() => headerMatches({ name: ':method', string_match: { exact: 'GET' } }, { port: 1 })).toThrow(/no method/);
    expect(() => headerMatches({ name: 'host', string_match: { exact: 'x' } }, req())).toThrow(/"host" is not evaluated/);
  });
});

describe('url_path', () => {
  it('matches the path without query and fragment', () => {
    expect(pathMatches({ path: { exact: '/user/alice/api/kernels' } }, req({ path: '/user/alice/api/kernels?token=x' }))).toBe(true);
    expect(pathMatches({ path: { exact: '/a' } }, req({ path: '/a#frag' }))).toBe(true);
    expect(pathMatches({ path: { prefix: '/user/', ignore_case: true } }, req({ path: '/USER/alice' }))).toBe(true);
    expect(pathMatches({ path: { suffix: '/kernels' } }, req({ path: '/x/kernels?a=/b' }))).toBe(true);
    expect(pathMatches({ path: { safe_regex: { regex: '/user/[^/]+/api/.*' } } }, req())).toBe(true);
  });
  it('never matches on a connection (no :path)', () => {
    expect(pathMatches({ path: { prefix: '/' } }, req(), 'tcp')).toBe(false);
  });
});

describe('addresses and ports', () => {
  it('CIDR ranges, IPv4 and IPv6', () => {
    expect(cidrContains({ address_prefix: '10.0.0.0', prefix_len: 8 }, '10.1.2.3')).toBe(true);
    expect(cidrContains({ address_prefix: '10.0.0.0', prefix_len: 8 }, '11.1.2.3')).toBe(false);
    expect(cidrContains({ address_prefix: '10.1.2.3', prefix_len: 32 }, '10.1.2.3')).toBe(true);
    expect(cidrContains({ address_prefix: '0.0.0.0', prefix_len: 0 }, '192.168.1.1')).toBe(true);
    expect(cidrContains({ address_prefix: '0.0.0.0' }, '192.168.1.1')).toBe(true); // prefix_len left out: 0
    expect(cidrContains({ address_prefix: 'fd00::', prefix_len: 8 }, 'fd12::1')).toBe(true);
    expect(cidrContains({ address_prefix: 'fd00::', prefix_len: 16 }, 'fd12::1')).toBe(false);
    expect(cidrContains({ address_prefix: '::ffff:10.0.0.0', prefix_len: 104 }, '::ffff:10.9.9.9')).toBe(true);
    expect(cidrContains({ address_prefix: '10.0.0.0', prefix_len: 8 }, 'fd00::1')).toBe(false); // other version
  });
  it('source_ip / direct_remote_ip / remote_ip principals and destination_ip', () => {
    const r = req({ sourceIp: '10.0.0.5', remoteIp: '203.0.113.7', destinationIp: '10.10.0.10' });
    expect(principalMatches({ direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: 24 } }, r)).toBe(true);
    expect(principalMatches({ source_ip: { address_prefix: '10.0.0.0', prefix_len: 24 } }, r)).toBe(true);
    expect(principalMatches({ remote_ip: { address_prefix: '203.0.113.0', prefix_len: 24 } }, r)).toBe(true);
    expect(principalMatches({ remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }, r)).toBe(false);
    expect(permissionMatches({ destination_ip: { address_prefix: '10.10.0.10', prefix_len: 32 } }, r)).toBe(true);
    // never guessed: remote_ip depends on X-Forwarded-For and the connection manager's settings
    expect(() => principalMatches({ remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }, req())).toThrow(/remoteIp/);
    expect(() => principalMatches({ direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }, req())).toThrow(/sourceIp/);
  });
  it('destination_port and destination_port_range [start, end)', () => {
    expect(permissionMatches({ destination_port: 8888 }, req())).toBe(true);
    expect(permissionMatches({ destination_port: 8080 }, req())).toBe(false);
    expect(permissionMatches({ destination_port_range: { start: 8000, end: 8889 } }, req())).toBe(true);
    expect(permissionMatches({ destination_port_range: { start: 8000, end: 8888 } }, req())).toBe(false);
  });
});

describe('principals', () => {
  it('authenticated: a TLS peer whose URI SAN (then DNS SANs, then subject) matches', () => {
    const exact = { authenticated: { principal_name: { exact: HUB } } };
    expect(principalMatches(exact, req())).toBe(true);
    expect(principalMatches(exact, req({ principal: GATEWAY }))).toBe(false);
    expect(principalMatches(exact, plaintext())).toBe(false);
    expect(principalMatches({ authenticated: {} }, req())).toBe(true); // any authenticated peer
    expect(principalMatches({ authenticated: {} }, plaintext())).toBe(false);
    // Istio's source.namespaces and "*" principals
    expect(principalMatches({ authenticated: { principal_name: { safe_regex: { regex: '.*/ns/jupyterhub/.*' } } } }, req())).toBe(true);
    expect(principalMatches({ authenticated: { principal_name: { safe_regex: { regex: '.+' } } } }, req())).toBe(true);
    expect(principalMatches({ authenticated: { principal_name: { prefix: 'spiffe://cluster.local/ns/istio-system/' } } }, req({ principal: GATEWAY }))).toBe(true);
    expect(principalMatches({ authenticated: { principal_name: { exact: 'hub.example' } } }, req({ peerDnsSans: ['hub.example'] }))).toBe(true);
    expect(principalMatches({ authenticated: { principal_name: { exact: 'O=x' } } }, req({ peerSubject: 'O=x' }))).toBe(true);
    // the empty subject of Istio certificates is matched too: a regex that matches '' matches every peer
    expect(principalMatches({ authenticated: { principal_name: { safe_regex: { regex: '.*nope.*|' } } } }, req())).toBe(true);
  });
  it('filter_state io.istio.peer_principal defaults to the principal', () => {
    const fs = { filter_state: { key: 'io.istio.peer_principal', string_match: { exact: HUB } } };
    expect(principalMatches(fs, req())).toBe(true);
    expect(principalMatches(fs, plaintext())).toBe(false);
    expect(principalMatches(fs, plaintext({ filterState: { 'io.istio.peer_principal': HUB } }))).toBe(true);
    expect(principalMatches({ filter_state: { key: 'other', string_match: { exact: HUB } } }, req())).toBe(false);
    expect(() => principalMatches({ filter_state: { key: 'io.istio.peer_principal', address_match: { ranges: [] } } }, req())).toThrow(/address_match/);
  });
  it('and_ids, or_ids, not_id, any, header and url_path', () => {
    expect(principalMatches({ and_ids: { ids: [{ any: true }, { authenticated: {} }] } }, req())).toBe(true);
    expect(principalMatches({ and_ids: { ids: [{ any: true }, { authenticated: {} }] } }, plaintext())).toBe(false);
    expect(principalMatches({ and_ids: { ids: [] } }, req())).toBe(true);
    expect(principalMatches({ or_ids: { ids: [] } }, req())).toBe(false);
    expect(principalMatches({ not_id: { authenticated: {} } }, plaintext())).toBe(true);
    expect(principalMatches({ header: { name: 'x-user', string_match: { exact: 'alice' } } }, req({ headers: { 'x-user': 'alice' } }))).toBe(true);
    expect(principalMatches({ url_path: { path: { prefix: '/user/' } } }, req())).toBe(true);
  });
  it('metadata (JWT claims as Istio matches them)', () => {
    const claim = (claim: string, m: unknown) => ({ filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: claim }], value: m });
    const r = req({ dynamicMetadata: { 'envoy.filters.http.jwt_authn': { payload: { iss: 'https://issuer', sub: 'alice', aud: ['hub', 'api'], admin: true, n: 3, none: null } } } });
    expect(metadataMatches(claim('iss', { string_match: { exact: 'https://issuer' } }), r)).toBe(true);
    expect(metadataMatches(claim('aud', { list_match: { one_of: { string_match: { exact: 'api' } } } }), r)).toBe(true);
    expect(metadataMatches(claim('aud', { list_match: { one_of: { string_match: { exact: 'x' } } } }), r)).toBe(false);
    expect(metadataMatches(claim('sub', { or_match: { value_matchers: [{ string_match: { exact: 'bob' } }, { string_match: { exact: 'alice' } }] } }), r)).toBe(true);
    expect(metadataMatches(claim('admin', { bool_match: true }), r)).toBe(true);
    expect(metadataMatches(claim('n', { double_match: { range: { start: 1, end: 4 } } }), r)).toBe(true);
    expect(metadataMatches(claim('none', { null_match: {} }), r)).toBe(true);
    expect(metadataMatches(claim('missing', { present_match: true }), r)).toBe(false);
    expect(metadataMatches({ ...claim('missing', { present_match: true }), invert: true }, r)).toBe(true);
    expect(metadataMatches(claim('iss', { string_match: { exact: 'x' } }), req())).toBe(false); // no metadata at all
    expect(principalMatches({ metadata: claim('sub', { string_match: { exact: 'alice' } }) }, r)).toBe(true);
  });
  it('throws on a kind it does not evaluate', () => {
    expect(() => principalMatches({ sourced_metadata: {} }, req())).toThrow(/principal kind "sourced_metadata"/);
    expect(() => principalMatches({ custom: {} }, req())).toThrow(/"custom"/);
  });
});

describe('permissions', () => {
  it('and_rules, or_rules, not_rule, any, header, requested_server_name, metadata', () => {
    expect(permissionMatches({ and_rules: { rules: [{ any: true }, { destination_port: 8888 }] } }, req())).toBe(true);
    expect(permissionMatches({ or_rules: { rules: [{ destination_port: 1 }, { destination_port: 8888 }] } }, req())).toBe(true);
    expect(permissionMatches({ or_rules: { rules: [] } }, req())).toBe(false);
    expect(permissionMatches({ not_rule: { any: true } }, req())).toBe(false);
    expect(permissionMatches({ header: { name: ':method', string_match: { exact: 'GET' } } }, req())).toBe(true);
    expect(permissionMatches({ requested_server_name: { exact: 'outbound_.8888_._.jupyter-alice' } }, req({ sni: 'outbound_.8888_._.jupyter-alice' }))).toBe(true);
    expect(permissionMatches({ requested_server_name: { exact: 'x' } }, req())).toBe(false); // no SNI: ''
    expect(permissionMatches({ metadata: { filter: 'f', path: [{ key: 'k' }], value: { string_match: { exact: 'v' } } } }, req({ dynamicMetadata: { f: { k: 'v' } } }))).toBe(true);
  });
  it('throws on a kind it does not evaluate', () => {
    expect(() => permissionMatches({ uri_template: { name: 'uri-template' } }, req())).toThrow(/permission kind "uri_template"/);
    expect(() => permissionMatches({ matcher: {} }, req())).toThrow(/"matcher"/);
    expect(() => permissionMatches({ any: true, destination_port: 1 }, req())).toThrow(/exactly one/);
  });
});

describe('policies and rules', () => {
  it('a policy needs some permission and some principal', () => {
    const p = policy([{ destination_port: 1 }, anyPermission], [fromPrincipals(GATEWAY), fromPrincipals(HUB)]);
    expect(policyMatches(p, req())).toBe(true);
    expect(policyMatches(p, req({ principal: 'spiffe://cluster.local/ns/x/sa/y' }))).toBe(false);
    expect(policyMatches(policy([], [anyPrincipal]), req())).toBe(false);
    expect(() => policyMatches({ ...p, condition: {} }, req())).toThrow(/"condition" is not evaluated/);
  });
  it('ALLOW, DENY, LOG; an absent action is ALLOW, absent policies none', () => {
    const pols = { b: policy([anyPermission], [fromPrincipals(HUB)]), a: policy([anyPermission], [anyPrincipal]) };
    expect(evaluateRules({ policies: pols }, req())).toEqual({ action: 'ALLOW', matchedPolicies: ['a', 'b'], allowed: true });
    expect(evaluateRules({ action: 'DENY', policies: pols }, req())).toEqual({ action: 'DENY', matchedPolicies: ['a', 'b'], allowed: false });
    expect(evaluateRules({ action: 'LOG', policies: pols }, req())).toEqual({ action: 'LOG', matchedPolicies: ['a', 'b'], allowed: true });
    expect(evaluateRules({}, req())).toEqual({ action: 'ALLOW', matchedPolicies: [], allowed: false }); // ALLOW nothing: deny all
    expect(evaluateRules({ action: 'DENY' }, req())).toEqual({ action: 'DENY', matchedPolicies: [], allowed: true });
    expect(() => evaluateRules({ action: 'MAYBE' }, req())).toThrow(/unknown action/);
  });
  it('Istio\'s never-matching policy (an ALLOW policy without rules) denies everything', () => {
    const never = policy([{ not_rule: { any: true } }], [{ not_id: { any: true } }]);
    expect(evaluateRules({ policies: { 'ns[jupyterhub]-policy[deny-all]-rule[0]': never } }, req()).allowed).toBe(false);
  });
});

describe('filters', () => {
  const allowHub = rbacFilter({ policies: { allow: policy([anyPermission], [fromPrincipals(HUB)]) } });
  const denyPost = rbacFilter({ action: 'DENY', policies: { 'no-post': policy([{ and_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'POST' } } }] } }], [anyPrincipal]) } });

  it('a filter without rules enforces nothing; shadow rules never decide', () => {
    expect(evaluateRbacFilter(rbacFilter().config, req()).allowed).toBe(true);
    const shadowDeny = rbacFilter(undefined, { action: 'DENY', policies: { all: policy([anyPermission], [anyPrincipal]) } });
    const r = evaluateRbacFilter(shadowDeny.config, req());
    expect(r).toEqual({ shadow: { action: 'DENY', matchedPolicies: ['all'], allowed: false }, allowed: true });
    // CUSTOM: Istio puts the provider's rules in shadow_rules only (ext_authz enforces)
    const custom = rbacFilter(undefined, { action: 'DENY', policies: { 'istio-ext-authz-ns[x]-policy[y]-rule[0]': policy([anyPermission], [anyPrincipal]) } });
    expect(evaluateRbacFilters([custom], req()).allowed).toBe(true);
  });

  it('runs the filters in order; the first that denies decides and later ones never run', () => {
    const post = evaluateRbacFilters([denyPost, allowHub], req({ method: 'POST' }));
    expect(post.allowed).toBe(false);
    expect(post.deniedBy).toEqual({ index: 0, action: 'DENY', policy: 'no-post' });
    expect(post.filters).toHaveLength(1);
    const get = evaluateRbacFilters([denyPost, allowHub], req());
    expect(get.allowed).toBe(true);
    expect(get.filters.map((f) => f.rules?.matchedPolicies)).toEqual([[], ['allow']]);
    const gateway = evaluateRbacFilters([denyPost, allowHub], req({ principal: GATEWAY }));
    expect(gateway.deniedBy).toEqual({ index: 1, action: 'ALLOW' });
    // DENY before ALLOW: a request both match is denied
    expect(evaluateRbacFilters([denyPost, allowHub], req({ method: 'POST', principal: HUB })).allowed).toBe(false);
  });

  it('LOG (AUDIT) filters never deny', () => {
    const audit = rbacFilter({ action: 'LOG', policies: { all: policy([anyPermission], [anyPrincipal]) } });
    expect(evaluateRbacFilters([audit, allowHub], req()).allowed).toBe(true);
    expect(evaluateRbacFilters([audit], plaintext()).allowed).toBe(true);
  });

  it('network filters: TCP rules without HTTP attributes', () => {
    const tcp: RbacFilter = {
      name: 'envoy.filters.network.rbac',
      config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC', stat_prefix: 'tcp.', rules: { policies: { allow: policy([anyPermission], [fromPrincipals(HUB)]) } } },
    };
    expect(evaluateRbacFilters([tcp], req(), 'tcp').allowed).toBe(true);
    expect(evaluateRbacFilters([tcp], plaintext(), 'tcp').allowed).toBe(false);
    expect(() => evaluateRbacFilters([tcp], req(), 'http')).toThrow(/stat_prefix|not envoy.extensions.filters.http.rbac/);
  });

  it('throws on what it does not evaluate', () => {
    expect(() => evaluateRbacFilter({ matcher: {} }, req())).toThrow(/field "matcher"/);
    expect(() => evaluateRbacFilters([allowHub], req({ sourceNamespace: 'elsewhere' }))).toThrow(/sourceNamespace/);
    expect(evaluateRbacFilters([allowHub], req({ sourceNamespace: 'jupyterhub' })).allowed).toBe(true);
  });
});
