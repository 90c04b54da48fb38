import { RE2JS } from 're2js';

/**
 * Envoy's RBAC semantics, evaluated in TypeScript over the RBAC filter configurations Istio generates (as
 * protojson with proto field names, like a config dump: `envoy.extensions.filters.http.rbac.v3.RBAC`,
 * `envoy.extensions.filters.network.rbac.v3.RBAC`, their `envoy.config.rbac.v3.RBAC` rules).
 *
 * Followed from Envoy's source (source/extensions/filters/common/rbac/{engine_impl,matchers}.cc,
 * source/common/common/matchers.cc, source/common/http/header_utility.cc):
 * - filters run in order; the first that denies ends the request (403 / connection closed), later ones never run;
 * - a filter without `rules` enforces nothing; `shadow_rules` are evaluated but never decide;
 * - ALLOW: allowed only if some policy matches (no policies: everything is denied); DENY: denied if some
 *   policy matches; LOG: never denies;
 * - a policy matches when any of its `permissions` and any of its `principals` match; policies are looked at
 *   in name order (Envoy keeps them in a std::map), which only matters for which one is reported;
 * - protojson leaves out zero values: an absent `action` is ALLOW, an absent `policies` is none.
 *
 * Anything this module cannot evaluate faithfully (a rule kind it does not implement, CEL conditions, the
 * xDS `matcher` API, an attribute the request does not say, such as `remote_ip` without `remoteIp`) throws an
 * error naming it: a guess would make the test that relies on it meaningless.
 */

/** One request (or, for network filters, connection) as the RBAC filter sees it. */
export type RbacRequest = {
  /**
   * the peer certificate's URI SAN, e.g. `spiffe://cluster.local/ns/jupyterhub/sa/hub`; absent for a plaintext
   * connection (no TLS, so `authenticated` never matches)
   */
  principal?: string;
  /** the peer certificate's DNS SANs (Istio workload certificates have none) */
  peerDnsSans?: string[];
  /** the peer certificate's subject, RFC 2253 (Istio workload certificates have an empty subject; default '') */
  peerSubject?: string;
  /** the downstream connection's remote address (`source_ip`, `direct_remote_ip`) */
  sourceIp?: string;
  /** the original client address Envoy derives from X-Forwarded-For / proxy protocol (`remote_ip`); no default */
  remoteIp?: string;
  /** the local (destination) address of the connection (`destination_ip`) */
  destinationIp?: string;
  /**
   * informational: Envoy has no such attribute (Istio's `source.namespaces` becomes a regex on the principal);
   * when given with `principal`, it must be the principal's `/ns/<namespace>/` segment
   */
  sourceNamespace?: string;
  /** the destination port (`destination_port`, `destination_port_range`) */
  port: number;
  /** `:method` (HTTP only) */
  method?: string;
  /** `:path` as the RBAC filter sees it: after the connection manager's normalisation; may hold a query (HTTP only) */
  path?: string;
  /** `:authority` (HTTP only) */
  host?: string;
  /** other request headers (lower-case names; several values are joined with ',' as Envoy does) */
  headers?: Record<string, string | string[]>;
  /** the TLS SNI (`requested_server_name`); '' when absent, as in Envoy */
  sni?: string;
  /** dynamic metadata by filter name, e.g. `{ 'envoy.filters.http.jwt_authn': { payload: { iss: ... } } }` */
  dynamicMetadata?: Record<string, unknown>;
  /**
   * filter state objects by key (string values); `io.istio.peer_principal` defaults to `principal` (Istio sets
   * it to the peer's identity when it matches principals by filter state, e.g. on waypoints)
   */
  filterState?: Record<string, string>;
};

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** One RBAC filter of a chain, as the oracle returns it (`config` is the typed_config, `@type` included or not). */
export type RbacFilter = { name?: string; config: Record<string, unknown> };

export type RbacRulesResult = {
  action: RbacAction;
  /** every matching policy, in name order */
  matchedPolicies: string[];
  /** what these rules alone say */
  allowed: boolean;
};

export type RbacFilterResult = {
  /** index in the list of filters */
  index: number;
  name?: string;
  /** the enforced rules' result; absent when the filter has no `rules` (it enforces nothing) */
  rules?: RbacRulesResult;
  /** the shadow rules' result (never decides) */
  shadow?: RbacRulesResult;
  /** the filter lets the request on */
  allowed: boolean;
};

export type RbacDecision = {
  allowed: boolean;
  /** the filter that denied: its index, action and the policy Envoy reports (the first matching by name, for DENY) */
  deniedBy?: { index: number; action: RbacAction; policy?: string };
  /** each filter that ran, in order (filters after a denying one never run) */
  filters: RbacFilterResult[];
};

export type RbacMode = 'http' | 'tcp';

type Json = Record<string, unknown>;

class RbacEvaluationError extends Error {}

function fail(message: string): never {
  throw new RbacEvaluationError(`envoy-rbac: ${message}`);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, where: string): Json {
  if (!isObject(v)) fail(`${where}: expected an object, got ${JSON.stringify(v)}`);
  return v;
}

function arr(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${where}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail(`${where}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** The single field of a oneof-bearing object, ignoring the listed companion fields. */
function oneKind(o: Json, where: string, companions: string[] = []): [string, unknown] {
  const keys = Object.keys(o).filter((k) => !companions.includes(k));
  if (keys.length !== 1) fail(`${where}: expected exactly one rule kind, got ${keys.length ? keys.join(', ') : 'none'} in ${JSON.stringify(o)}`);
  return [keys[0]!, o[keys[0]!]];
}

// ---------------------------------------------------------------------------
// String, header, path and value matchers.

const regexCache = new Map<string, RE2JS>();

/** RE2 full match, as Envoy's safe_regex (google_re2) does. An invalid regex throws: Envoy would reject the config. */
export function re2FullMatch(regex: string, value: string): boolean {
  let re = regexCache.get(regex);
  if (!re) {
    try {
      re = RE2JS.compile(`^(?:${regex})$`);
    } catch (error) {
      fail(`safe_regex ${JSON.stringify(regex)} is not valid RE2 (Envoy would reject the configuration): ${(error as Error).message}`);
    }
    regexCache.set(regex, re);
  }
  return re.matcher(value).matches();
}

/** envoy.type.matcher.v3.StringMatcher. `ignore_case` lower-cases both sides (it is not allowed with safe_regex). */
export function stringMatches(matcher: unknown, value: string, where = 'string matcher'): boolean {
  const m = obj(matcher, where);
  const ignoreCase = m.ignore_case === true;
  const [kind, pattern] = oneKind(m, where, ['ignore_case']);
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  switch (kind) {
    case 'exact':
      return fold(value) === fold(str(pattern, `${where}.exact`));
    case 'prefix':
      return fold(value).startsWith(fold(str(pattern, `${where}.prefix`)));
    case 'suffix':
      return fold(value).endsWith(fold(str(pattern, `${where}.suffix`)));
    case 'contains':
      return fold(value).includes(fold(str(pattern, `${where}.contains`)));
    case 'safe_regex': {
      if (ignoreCase) fail(`${where}: ignore_case with safe_regex (Envoy rejects it)`);
      return re2FullMatch(str(obj(pattern, `${where}.safe_regex`).regex, `${where}.safe_regex.regex`), value);
    }
    default:
      return fail(`${where}: string matcher kind "${kind}" is not evaluated`);
  }
}

/** The value header matchers see: ':method', ':path', ':authority' or a header, several values joined with ','. */
function headerValue(req: RbacRequest, name: string, mode: RbacMode): string | undefined {
  if (mode === 'tcp') return undefined; // the network filter matches against an empty header map
  const n = name.toLowerCase();
  switch (n) {
    case ':method':
      if (req.method === undefined) fail('a rule needs :method but the request has no method');
      return req.method;
    case ':path':
      if (req.path === undefined) fail('a rule needs :path but the request has no path');
      return req.path;
    case ':authority':
      if (req.host === undefined) fail('a rule needs :authority but the request has no host');
      return req.host;
    case 'host':
      // HTTP/1 Host becomes :authority in Envoy's header map; whether a `host` matcher sees it is not modelled
      return fail('a header matcher on "host" is not evaluated (Istio matches :authority)');
    case ':scheme':
      return fail('a rule needs :scheme, which the request does not say');
  }
  const headers = req.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === n);
  if (key === undefined) return undefined;
  const v = headers[key]!;
  return Array.isArray(v) ? v.join(',') : v;
}

/** envoy.config.route.v3.HeaderMatcher, as Envoy's HeaderUtility evaluates it. */
export function headerMatches(matcher: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'header'): boolean {
  const m = obj(matcher, where);
  const name = str(m.name, `${where}.name`);
  const invert = m.invert_match === true;
  const value = headerValue(req, name, mode);
  const [kind, spec] = oneKind(m, where, ['name', 'invert_match', 'treat_missing_header_as_empty']);
  if (kind === 'present_match') {
    // present_match: false matches an absent header; invert_match flips the result
    return (value !== undefined) === (spec === true) !== invert;
  }
  let v = value;
  if (v === undefined) {
    if (m.treat_missing_header_as_empty !== true) return false; // an absent header never matches, inverted or not
    v = '';
  }
  let ok: boolean;
  switch (kind) {
    case 'string_match':
      ok = stringMatches(spec, v, `${where}(${name}).string_match`);
      break;
    case 'exact_match':
      ok = spec === '' || v === str(spec, `${where}.exact_match`); // an empty exact_match matches any value
      break;
    case 'prefix_match':
      ok = v.startsWith(str(spec, `${where}.prefix_match`));
      break;
    case 'suffix_match':
      ok = v.endsWith(str(spec, `${where}.suffix_match`));
      break;
    case 'contains_match':
      ok = v.includes(str(spec, `${where}.contains_match`));
      break;
    case 'safe_regex_match':
      ok = re2FullMatch(str(obj(spec, `${where}.safe_regex_match`).regex, `${where}.safe_regex_match.regex`), v);
      break;
    case 'range_match': {
      const r = obj(spec, `${where}.range_match`);
      ok = /^-?\d+$/.test(v) && BigInt(v) >= BigInt(String(r.start ?? 0)) && BigInt(v) < BigInt(String(r.end ?? 0));
      break;
    }
    default:
      return fail(`${where}: header matcher kind "${kind}" is not evaluated`);
  }
  return ok !== invert;
}

/** envoy.type.matcher.v3.PathMatcher on :path without query and fragment. */
export function pathMatches(matcher: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'url_path'): boolean {
  if (mode === 'tcp') return false; // no :path header on a connection
  if (req.path === undefined) fail(`${where}: the request has no path`);
  const m = obj(matcher, where);
  const [kind, spec] = oneKind(m, where);
  if (kind !== 'path') fail(`${where}: path matcher kind "${kind}" is not evaluated`);
  const path = req.path.replace(/[?#].*$/s, '');
  return stringMatches(spec, path, `${where}.path`);
}

/** A protobuf Value in protojson: null, number, string, boolean, list or struct. */
function valueMatches(matcher: unknown, value: unknown, where: string): boolean {
  const m = obj(matcher, where);
  const [kind, spec] = oneKind(m, where);
  switch (kind) {
    case 'null_match':
      return value === null;
    case 'double_match': {
      if (typeof value !== 'number') return false;
      const d = obj(spec, `${where}.double_match`);
      if ('exact' in d) return value === d.exact;
      const r = obj(d.range, `${where}.double_match.range`);
      return Number(r.start ?? 0) <= value && value < Number(r.end ?? 0);
    }
    case 'string_match':
      return typeof value === 'string' && stringMatches(spec, value, `${where}.string_match`);
    case 'bool_match':
      return typeof value === 'boolean' && value === (spec === true);
    case 'present_match':
      return spec === true && value !== undefined;
    case 'list_match': {
      if (!Array.isArray(value)) return false;
      const one = obj(spec, `${where}.list_match`).one_of;
      if (one === undefined) fail(`${where}.list_match: only one_of is evaluated`);
      return value.some((v) => valueMatches(one, v, `${where}.list_match.one_of`));
    }
    case 'or_match':
      return arr(obj(spec, `${where}.or_match`).value_matchers, `${where}.or_match.value_matchers`).some((vm, i) => valueMatches(vm, value, `${where}.or_match[${i}]`));
    default:
      return fail(`${where}: value matcher kind "${kind}" is not evaluated`);
  }
}

/** envoy.type.matcher.v3.MetadataMatcher on the request's dynamic metadata. */
export function metadataMatches(matcher: unknown, req: RbacRequest, where = 'metadata'): boolean {
  const m = obj(matcher, where);
  const filter = str(m.filter, `${where}.filter`);
  let cur: unknown = req.dynamicMetadata?.[filter];
  for (const [i, seg] of arr(m.path, `${where}.path`).entries()) {
    const key = str(obj(seg, `${where}.path[${i}]`).key, `${where}.path[${i}].key`);
    cur = isObject(cur) ? cur[key] : undefined;
  }
  return valueMatches(m.value, cur, `${where}.value`) !== (m.invert === true);
}

// ---------------------------------------------------------------------------
// Addresses.

function parseIp(ip: string, where: string): { v6: boolean; n: bigint } {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const parts = ip.split('.').map(Number);
    if (parts.some((p) => p > 255)) fail(`${where}: bad IPv4 address ${ip}`);
    return { v6: false, n: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (ip.includes(':')) {
    let s = ip;
    const v4tail = /:(\d{1,3}(\.\d{1,3}){3})$/.exec(s);
    if (v4tail) {
      const n = parseIp(v4tail[1]!, where).n;
      s = `${s.slice(0, v4tail.index)}:${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail, extra] = s.split('::');
    if (extra !== undefined) fail(`${where}: bad IPv6 address ${ip}`);
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) fail(`${where}: bad IPv6 address ${ip}`);
    return { v6: true, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  return fail(`${where}: not an IP address: ${ip}`);
}

/** envoy.config.core.v3.CidrRange. Addresses of the other IP version are never in range. */
export function cidrContains(range: unknown, ip: string, where = 'cidr'): boolean {
  const r = obj(range, where);
  const prefix = parseIp(str(r.address_prefix, `${where}.address_prefix`), where);
  const addr = parseIp(ip, where);
  if (prefix.v6 !== addr.v6) return false;
  const bits = prefix.v6 ? 128 : 32;
  const len = Number(r.prefix_len ?? 0);
  if (len > bits) fail(`${where}: prefix_len ${len} too long`);
  const shift = BigInt(bits - len);
  return prefix.n >> shift === addr.n >> shift;
}

function requiredField<K extends keyof RbacRequest>(req: RbacRequest, key: K, kind: string): NonNullable<RbacRequest[K]> {
  const v = req[key];
  if (v === undefined || v === null) fail(`a rule of kind "${kind}" needs the request's ${String(key)}, which it does not give`);
  return v as NonNullable<RbacRequest[K]>;
}

// ---------------------------------------------------------------------------
// Permissions and principals.

function authenticatedMatches(spec: unknown, req: RbacRequest, where: string): boolean {
  if (req.principal === undefined) return false; // no TLS peer: "connection was not authenticated"
  const a = spec === undefined ? {} : obj(spec, where);
  if (a.principal_name === undefined) return true; // any authenticated peer
  const name = a.principal_name;
  // the URI SANs, then the DNS SANs, then the subject (Envoy's AuthenticatedMatcher)
  if (stringMatches(name, req.principal, `${where}.principal_name`)) return true;
  for (const dns of req.peerDnsSans ?? []) if (stringMatches(name, dns, `${where}.principal_name`)) return true;
  return stringMatches(name, req.peerSubject ?? '', `${where}.principal_name`);
}

function filterStateMatches(spec: unknown, req: RbacRequest, where: string): boolean {
  const f = obj(spec, where);
  const key = str(f.key, `${where}.key`);
  const state: Record<string, string | undefined> = { ...(req.principal !== undefined ? { 'io.istio.peer_principal': req.principal } : {}), ...req.filterState };
  const value = state[key];
  if (value === undefined) return false; // no such filter state object
  const [kind, m] = oneKind(f, where, ['key']);
  if (kind !== 'string_match') fail(`${where}: filter_state matcher kind "${kind}" is not evaluated`);
  return stringMatches(m, value, `${where}.string_match`);
}

/** envoy.config.rbac.v3.Permission. */
export function permissionMatches(permission: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'permission'): boolean {
  const [kind, spec] = oneKind(obj(permission, where), where);
  const w = `${where}.${kind}`;
  switch (kind) {
    case 'any':
      if (spec !== true) fail(`${w}: must be true`);
      return true;
    case 'and_rules':
      return arr(obj(spec, w).rules, `${w}.rules`).every((p, i) => permissionMatches(p, req, mode, `${w}[${i}]`));
    case 'or_rules':
      return arr(obj(spec, w).rules, `${w}.rules`).some((p, i) => permissionMatches(p, req, mode, `${w}[${i}]`));
    case 'not_rule':
      return !permissionMatches(spec, req, mode, w);
    case 'header':
      return headerMatches(spec, req, mode, w);
    case 'url_path':
      return pathMatches(spec, req, mode, w);
    case 'destination_port':
      return req.port === Number(spec);
    case 'destination_port_range': {
      const r = obj(spec, w);
      return Number(r.start ?? 0) <= req.port && req.port < Number(r.end ?? 0);
    }
    case 'destination_ip':
      return cidrContains(spec, requiredField(req, 'destinationIp', kind), w);
    case 'metadata':
      return metadataMatches(spec, req, w);
    case 'requested_server_name':
      return stringMatches(spec, req.sni ?? '', w);
    default:
      return fail(`${w}: permission kind "${kind}" is not evaluated`);
  }
}

/** envoy.config.rbac.v3.Principal. */
export function principalMatches(principal: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'principal'): boolean {
  const [kind, spec] = oneKind(obj(principal, where), where);
  const w = `${where}.${kind}`;
  switch (kind) {
    case 'any':
      if (spec !== true) fail(`${w}: must be true`);
      return true;
    case 'and_ids':
      return arr(obj(spec, w).ids, `${w}.ids`).every((p, i) => principalMatches(p, req, mode, `${w}[${i}]`));
    case 'or_ids':
      return arr(obj(spec, w).ids, `${w}.ids`).some((p, i) => principalMatches(p, req, mode, `${w}[${i}]`));
    case 'not_id':
      return !principalMatches(spec, req, mode, w);
    case 'authenticated':
      return authenticatedMatches(spec, req, w);
    case 'filter_state':
      return filterStateMatches(spec, req, w);
    case 'source_ip':
    case 'direct_remote_ip':
      return cidrContains(spec, requiredField(req, 'sourceIp', kind), w);
    case 'remote_ip':
      return cidrContains(spec, requiredField(req, 'remoteIp', kind), w);
    case 'header':
      return headerMatches(spec, req, mode, w);
    case 'url_path':
      return pathMatches(spec, req, mode, w);
    case 'metadata':
      return metadataMatches(spec, req, w);
    default:
      return fail(`${w}: principal kind "${kind}" is not evaluated`);
  }
}

/** envoy.config.rbac.v3.Policy: some permission and some principal match. */
export function policyMatches(policy: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'policy'): boolean {
  const p = obj(policy, where);
  for (const k of Object.keys(p)) {
    if (k !== 'permissions' && k !== 'principals') fail(`${where}: policy field "${k}" is not evaluated`);
  }
  const permissions = arr(p.permissions, `${where}.permissions`);
  const principals = arr(p.principals, `${where}.principals`);
  return permissions.some((x, i) => permissionMatches(x, req, mode, `${where}.permissions[${i}]`)) && principals.some((x, i) => principalMatches(x, req, mode, `${where}.principals[${i}]`));
}

function actionOf(rules: Json, where: string): RbacAction {
  const a = rules.action ?? 'ALLOW'; // protojson leaves out the zero value
  if (a === 'ALLOW' || a === 'DENY' || a === 'LOG') return a;
  if (a === 0) return 'ALLOW';
  if (a === 1) return 'DENY';
  if (a === 2) return 'LOG';
  return fail(`${where}.action: unknown action ${JSON.stringify(a)}`);
}

/** envoy.config.rbac.v3.RBAC (`rules` or `shadow_rules`). */
export function evaluateRules(rules: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'rules'): RbacRulesResult {
  const r = obj(rules, where);
  for (const k of Object.keys(r)) {
    if (k !== 'action' && k !== 'policies' && k !== 'audit_logging_options') fail(`${where}: field "${k}" is not evaluated`);
  }
  const action = actionOf(r, where);
  const policies = r.policies === undefined ? {} : obj(r.policies, `${where}.policies`);
  const matchedPolicies = Object.keys(policies)
    .sort()
    .filter((name) => policyMatches(policies[name], req, mode, `${where}.policies[${name}]`));
  const matched = matchedPolicies.length > 0;
  const allowed = action === 'ALLOW' ? matched : action === 'DENY' ? !matched : true;
  return { action, matchedPolicies, allowed };
}

const HTTP_FIELDS = ['@type', 'rules', 'shadow_rules', 'rules_stat_prefix', 'shadow_rules_stat_prefix', 'track_per_rule_stats'];
const NETWORK_FIELDS = ['@type', 'rules', 'shadow_rules', 'stat_prefix', 'shadow_rules_stat_prefix', 'enforcement_type', 'delay_deny'];

/** One RBAC filter (HTTP or network typed_config). */
export function evaluateRbacFilter(config: unknown, req: RbacRequest, mode: RbacMode = 'http', where = 'filter'): Omit<RbacFilterResult, 'index'> {
  const c = obj(config, where);
  const known = mode === 'http' ? HTTP_FIELDS : NETWORK_FIELDS;
  for (const k of Object.keys(c)) {
    if (!known.includes(k)) fail(`${where}: RBAC filter field "${k}" is not evaluated`);
  }
  if (mode === 'tcp' && c.enforcement_type !== undefined && c.enforcement_type !== 'ONE_TIME_ON_FIRST_BYTE') {
    fail(`${where}: enforcement_type ${JSON.stringify(c.enforcement_type)} is not evaluated`);
  }
  const type = c['@type'];
  if (typeof type === 'string') {
    const want = mode === 'http' ? 'envoy.extensions.filters.http.rbac.v3.RBAC' : 'envoy.extensions.filters.network.rbac.v3.RBAC';
    if (!type.endsWith(`/${want}`)) fail(`${where}: @type ${type} is not ${want}`);
  }
  const shadow = c.shadow_rules === undefined ? undefined : evaluateRules(c.shadow_rules, req, mode, `${where}.shadow_rules`);
  const rules = c.rules === undefined ? undefined : evaluateRules(c.rules, req, mode, `${where}.rules`);
  return { ...(rules ? { rules } : {}), ...(shadow ? { shadow } : {}), allowed: rules ? rules.allowed : true };
}

function checkRequest(req: RbacRequest): void {
  if (req.sourceNamespace !== undefined && req.principal !== undefined) {
    const ns = /\/ns\/([^/]+)\//.exec(req.principal)?.[1];
    if (ns !== req.sourceNamespace) fail(`request: sourceNamespace ${req.sourceNamespace} is not the namespace of principal ${req.principal}`);
  }
}

/**
 * The ordered RBAC filters of one filter chain (Istio orders them: CUSTOM's shadow-only filter, then AUDIT (LOG),
 * DENY, ALLOW); `mode` 'tcp' for network filters, which see no HTTP headers.
 */
export function evaluateRbacFilters(filters: RbacFilter[], req: RbacRequest, mode: RbacMode = 'http'): RbacDecision {
  checkRequest(req);
  const results: RbacFilterResult[] = [];
  for (const [index, f] of filters.entries()) {
    const r = { index, ...(f.name ? { name: f.name } : {}), ...evaluateRbacFilter(f.config, req, mode, `filters[${index}]${f.name ? `(${f.name})` : ''}`) };
    results.push(r);
    if (!r.allowed) {
      const action = r.rules!.action;
      return { allowed: false, deniedBy: { index, action, ...(action === 'DENY' ? { policy: r.rules!.matchedPolicies[0] } : {}) }, filters: results };
    }
  }
  return { allowed: true, filters: results };
}
