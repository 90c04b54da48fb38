import { z } from 'zod';
import type { Service } from '../../kube/services';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from '../../kube/virtualservices';

/**
 * What every overlay section is made of, and the pieces sections share (destinations, field errors, RE2
 * quoting). An overlay is a per-route setting kept in the route VirtualService's `hubmesh.io/overlays`
 * annotation, one key per section; the registry (registry.ts) lists the sections.
 */

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMessage = 'must be a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters';
export const dnsName = z.string().max(63, dnsLabelMessage).regex(dnsLabel, dnsLabelMessage);

/** A Service in the hub namespace (short name), with an optional port and DestinationRule subset. */
export const serviceDestination = z.strictObject({
  service: dnsName,
  port: z.number().int().min(1).max(65535).optional(),
  subset: dnsName.optional(),
});

export type ServiceDestination = z.infer<typeof serviceDestination>;

/** A refusal that names the field to fix. */
export type FieldError = { field: string; message: string };

/** A schema issue's path as a field name: ['rules', 1, 'name'] → "rules[1].name". */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)), '');
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * Schema issues as field errors. A union that failed as a whole ("off" or a policy) is explained by the branch
 * the value went furthest into: the one whose issues are not all about the value itself.
 */
export function issueErrors(issues: readonly Issue[]): FieldError[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'invalid_union' && issue.errors?.length) {
      const branch = issue.errors.find((branchIssues) => branchIssues.some((i) => i.path.length > 0)) ?? issue.errors.at(-1)!;
      return issueErrors(branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
    }
    return [{ field: fieldName(issue.path), message: issue.message }];
  });
}

export type OverlayCheckContext = {
  namespace: string;
  clusterDomain: string;
  /** The hub namespace's Services; undefined where there are none to check against (local mode). */
  services: readonly Service[] | undefined;
  /** The route's own target: an overlay that only sends traffic there would change nothing. */
  current: { host: string; port: number };
  /** what the hub stored for the route (whether it is a notebook's, the hub's, a service's) */
  data: Readonly<Record<string, unknown>>;
  now: Date;
};

/** What a section sets on every rule of the route that sends traffic on (not a direct response). */
export type RuleSettings = Pick<HTTPRoute, 'retries' | 'timeout' | 'fault'>;

export type HeaderConditions = NonNullable<HTTPMatchRequest['headers']>;

/** What a section's render is given by the route it renders into (virtualservice.ts's ownRules). */
export type OverlayRenderInput = {
  /** the name of the route's VirtualService */
  virtualService: string;
  /** the route's path as the hub keys it (with its host under host routing) */
  routePath: string;
  hostRouting: boolean;
  /** the hub's API path (decoded), which previews must not shadow */
  hubApiPath: string;
  /** where the route's own rule sends its traffic, after every section's `destinations` */
  routeTo: HTTPRouteDestination[];
  /** a rule of this route: it names the route in a response header and keeps the route's timeout */
  rule(name: string, match: HTTPMatchRequest[], to: HTTPRouteDestination[]): HTTPRoute;
  /** rules that send `match` where the route's own rule sends (`routeTo`), with the path its target's path makes (CHP's rewrite) */
  toOwnTarget(name: string, match: HTTPMatchRequest[]): HTTPRoute[];
  toService(destination: ServiceDestination): HTTPRouteDestination['destination'];
  /** the matches of `routePath` narrowed by each of `conditions`, kept off what more specific routes hold; none when nothing is left */
  overlayMatches(routePath: string, conditions: HeaderConditions[]): HTTPMatchRequest[];
  /** the plain matches of a path (prefix and exact) */
  pathMatches(path: string): HTTPMatchRequest[];
};

/**
 * One key of the overlays object. `check` is what the schema cannot see (other fields, the cluster's
 * Services); its fields are named from `field`, the section's key. Render has three parts: `destinations`
 * changes where the route's own rule sends traffic, `rules` adds rules tried before the route's own, the
 * sections' rules ordered by `precedence` (lowest first), and `settings` is put on each of the route's rules.
 */
export interface OverlaySection<S extends z.ZodType> {
  readonly schema: S;
  /** Who sets this section: the route's overlays editor (PUT .../overlays), or the previews API, whose sections the editor keeps as stored. */
  readonly editedBy: 'overlays' | 'previews';
  isSet(value: z.output<S>): boolean;
  /** The console's and the audit's words for it; undefined when it is not set. */
  describe(value: z.output<S>): string | undefined;
  check(value: z.output<S>, field: string, ctx: OverlayCheckContext): FieldError[];
  /** Advice on a value that is valid but may not do what its author wants (e.g. a timeout on a websocket route). */
  warn?(value: z.output<S>, field: string, ctx: OverlayCheckContext): FieldError[];
  destinations?(value: z.output<S>, routeTo: HTTPRouteDestination[], input: OverlayRenderInput): HTTPRouteDestination[];
  settings?(value: z.output<S>): RuleSettings;
  /** A name for the matches of the route's own rule, so that an EnvoyFilter finds its Envoy routes (Istio names them `<rule>.<match name>`). */
  ownMatchName?(value: z.output<S>, input: Pick<OverlayRenderInput, 'virtualService'>): string | undefined;
  readonly rules?: { precedence: number; render(value: z.output<S>, input: OverlayRenderInput): HTTPRoute[] };
}

export const defineSection = <S extends z.ZodType>(section: OverlaySection<S>): OverlaySection<S> => section;

/** The FQDN Istio routes to for a Service in the hub namespace. */
export function serviceHost(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/** Escapes a literal for RE2 (Envoy's regex engine) exactly as Go's regexp.QuoteMeta does: only its metacharacters. */
export function escapeRe2(literal: string): string {
  return literal.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * The regex on the `cookie` request header that holds when the cookie `name` has exactly `value`. Pairs
 * are separated by ";" and, from browsers, a space; Envoy joins HTTP/2 cookie headers the same way.
 */
export function cookieRegex(name: string, value: string): string {
  return `^(.*?;\\s*)?${escapeRe2(name)}=${escapeRe2(value)}(;.*)?$`;
}

// HTTP field values never hold control characters other than tab
export const controlCharacter = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A check, item by item, that no item of the list at `field` takes an earlier one's name. */
export function uniqueNames(field: string): (item: { name: string }, index: number) => FieldError[] {
  const firstIndex = new Map<string, number>();
  return (item, index) => {
    const first = firstIndex.get(item.name);
    if (first === undefined) {
      firstIndex.set(item.name, index);
      return [];
    }
    return [{ field: `${field}[${index}].name`, message: `duplicate: ${field}[${first}] is already named ${JSON.stringify(item.name)}` }];
  };
}

/**
 * A destination that is an existing Service in the hub namespace with that TCP port (or, with no port given,
 * with exactly one port, which Istio then picks by itself), and not the route's own target without a subset,
 * which would silently do nothing.
 */
export function checkDestination(d: ServiceDestination, field: string, ctx: OverlayCheckContext): FieldError[] {
  let port = d.port;
  if (ctx.services) {
    const service = ctx.services.find((s) => s.metadata.name === d.service);
    if (!service) return [{ field: `${field}.service`, message: `no Service ${JSON.stringify(d.service)} in namespace ${ctx.namespace}` }];
    const ports = service.spec?.ports ?? [];
    const listed = ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ') || 'none';
    if (d.port === undefined) {
      if (ports.length !== 1) return [{ field: `${field}.port`, message: `required: Service ${d.service} has ${ports.length} ports (${listed}), so Istio cannot pick one` }];
      port = ports[0]!.port;
    } else {
      const found = ports.find((p) => p.port === d.port);
      if (!found) return [{ field: `${field}.port`, message: `Service ${d.service} has no port ${d.port} (its ports: ${listed})` }];
      if (found.protocol && found.protocol !== 'TCP') return [{ field: `${field}.port`, message: `port ${d.port} of Service ${d.service} is ${found.protocol}: HTTP needs TCP` }];
    }
  }
  if (d.subset === undefined && serviceHost(d.service, ctx.namespace, ctx.clusterDomain) === ctx.current.host && port === ctx.current.port) {
    return [{ field, message: `is the route's own target (${ctx.current.host}:${ctx.current.port}): route elsewhere, or to a subset` }];
  }
  return [];
}
