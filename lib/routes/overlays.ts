import { RE2JS } from 're2js';
import { z } from 'zod';
import type { Service } from '../kube/services';

/**
 * Canary and selective routing on a route, kept apart from the hub's route data (in the VirtualService's
 * `hubmesh.io/overlays` annotation) so that the hub's re-POSTs never drop them, and rendered into the
 * route's own VirtualService before its catch-all rule (see shared/mesh-facts.md: rules that must win
 * over a route belong in the same VirtualService).
 */

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMessage = 'must be a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters';
const dnsName = z.string().max(63, dnsLabelMessage).regex(dnsLabel, dnsLabelMessage);

/** A Service in the hub namespace (short name), with an optional port and DestinationRule subset. */
export const serviceDestination = z.strictObject({
  service: dnsName,
  port: z.number().int().min(1).max(65535).optional(),
  subset: dnsName.optional(),
});

const headerName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][-a-z0-9_.]*$/, 'must be a lower-case HTTP header name')
  .refine((h) => h !== 'cookie', 'use a cookie match for the cookie header');

/** Exactly one of: a header equal to a value, a header matching a regex (RE2), or a cookie with a value. */
export const selectiveMatch = z.union([
  z.strictObject({ header: headerName, exact: z.string().min(1).max(256) }),
  z.strictObject({ header: headerName, regex: z.string().min(1).max(256) }),
  z.strictObject({ cookie: z.string().min(1).max(100).regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a cookie name (an HTTP token)'), value: z.string().min(1).max(256) }),
]);

export const selectiveRule = z.strictObject({ name: dnsName, match: selectiveMatch, destination: serviceDestination });

const percent = z.number().int('must be a whole percent').min(0, 'must be 0 to 100').max(100, 'must be 0 to 100');

/** Weighted canary: the route's traffic split between its own target and the canary, in percent adding up to 100. */
export const canary = z.strictObject({
  weights: z.strictObject({ current: percent, canary: percent }).refine((w) => w.current + w.canary === 100, { message: 'must add up to 100', path: ['canary'] }),
  destination: serviceDestination,
});

/** The header and the cookie that select a preview: either carries the preview's name. */
export const PREVIEW_HEADER = 'x-hubmesh-preview';
export const PREVIEW_COOKIE = 'hubmesh-preview';

const MINUTE_MS = 60_000;
const TTL_UNIT_MS = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 24 * 60 * MINUTE_MS } as const;
export const PREVIEW_TTL_MIN_MS = 5 * MINUTE_MS;
export const PREVIEW_TTL_MAX_MS = 7 * TTL_UNIT_MS.d;

/** A preview's time to live, e.g. "30m", "2h" or "3d", as milliseconds: from 5 minutes to 7 days. */
export const previewTtl = z
  .string()
  .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'must be a duration such as "30m", "2h" or "3d"')
  .transform((ttl) => Number(ttl.slice(0, -1)) * TTL_UNIT_MS[ttl.slice(-1) as keyof typeof TTL_UNIT_MS])
  .refine((ms) => ms >= PREVIEW_TTL_MIN_MS && ms <= PREVIEW_TTL_MAX_MS, 'must be from 5m to 7d');

/**
 * A route path prefix as the hub's route keys are written (decoded): "/" or "/a/b" without a trailing
 * "/", and no empty, "." or ".." segment, which Envoy would never see as such after path normalisation.
 */
const pathPrefix = z
  .string()
  .max(512)
  .regex(/^\/[^\s?#\x00-\x1f\x7f]*$/, 'must start with "/" and hold no whitespace, "?", "#" or control characters')
  .refine((p) => p === '/' || !p.endsWith('/'), 'must not end with "/" (but for "/" itself)')
  .refine((p) => p === '/' || p.slice(1).split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'must not hold empty, "." or ".." segments');

const isoTime = z.string().datetime({ offset: true });

/**
 * A demo of a Service on a path, for requests that carry the preview's name in the `x-hubmesh-preview`
 * header or the `hubmesh-preview` cookie, until expiresAt (the janitor then removes it).
 */
export const preview = z.strictObject({
  name: dnsName,
  pathPrefix,
  destination: serviceDestination,
  match: z.strictObject({ header: z.boolean(), cookie: z.boolean() }).refine((m) => m.header || m.cookie, 'at least one of header and cookie must be true'),
  owner: z.string().min(1).max(253),
  createdAt: isoTime,
  expiresAt: isoTime,
  allowShadow: z.boolean().optional(),
});

/**
 * What an engineer gives to create a preview; pathPrefix defaults to the hub route "/". A trailing "/" is
 * dropped. A new pathPrefix must also read as the same path in a browser, where the share link sends it:
 * browsers take "\" for "/" ("/\evil.example" would be "//evil.example", another host). Previews stored
 * before this rule still load; their share link encodes what they hold (shareLinkLocation).
 */
export const previewInput = z.strictObject({
  name: dnsName,
  pathPrefix: z
    .string()
    .transform((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p))
    .pipe(pathPrefix.refine((p) => !/[\\\x80-\x9f]/.test(p), 'must not hold "\\" (browsers read it as "/") or control characters'))
    .default('/'),
  service: dnsName,
  port: serviceDestination.shape.port,
  subset: serviceDestination.shape.subset,
  match: z
    .strictObject({ header: z.boolean().default(true), cookie: z.boolean().default(true) })
    .refine((m) => m.header || m.cookie, 'at least one of header and cookie must be true')
    .default({ header: true, cookie: true }),
  ttl: previewTtl,
  allowShadow: z.boolean().optional(),
});

export const overlays = z.strictObject({
  canary: canary.optional(),
  rules: z.array(selectiveRule).max(20, 'at most 20 rules per route').default([]),
  /** Absent rather than empty, so the annotation (and everything reading overlays) is as before previews existed. */
  previews: z.array(preview).max(50, 'at most 50 previews per route').optional(),
});

export type ServiceDestination = z.infer<typeof serviceDestination>;
export type SelectiveMatch = z.infer<typeof selectiveMatch>;
export type SelectiveRule = z.infer<typeof selectiveRule>;
export type Canary = z.infer<typeof canary>;
export type Preview = z.infer<typeof preview>;
/** previewInput after parsing: ttl is in milliseconds. */
export type PreviewInput = z.output<typeof previewInput>;
export type Overlays = z.infer<typeof overlays>;

export const NO_OVERLAYS: Overlays = { rules: [] };

export function hasOverlays(o: Overlays): boolean {
  return o.canary !== undefined || o.rules.length > 0 || (o.previews?.length ?? 0) > 0;
}

/** A schema issue's path as a field name: ['rules', 1, 'name'] → "rules[1].name". */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)), '');
}

/** A refusal that names the field to fix. */
export type FieldError = { field: string; message: string };

export const formatFieldErrors = (errors: readonly FieldError[]): string => errors.map((e) => `${e.field || '(overlays)'}: ${e.message}`).join('; ');

/** A preview's input from untrusted JSON, with every schema issue named by its field (ttl in milliseconds). */
export function parsePreviewInput(input: unknown): { ok: true; input: PreviewInput } | { ok: false; errors: FieldError[] } {
  const parsed = previewInput.safeParse(input);
  if (parsed.success) return { ok: true, input: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => ({ field: fieldName(issue.path), message: issue.message })) };
}

/** Overlays from untrusted JSON (a request body or the annotation), with every schema issue named by its field. */
export function parseOverlays(input: unknown): { ok: true; overlays: Overlays } | { ok: false; errors: FieldError[] } {
  const parsed = overlays.safeParse(input);
  if (parsed.success) return { ok: true, overlays: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => ({ field: fieldName(issue.path), message: issue.message })) };
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

/** The FQDN Istio routes to for a Service in the hub namespace. */
export function serviceHost(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

export type OverlayCheckContext = {
  namespace: string;
  clusterDomain: string;
  /** The hub namespace's Services; undefined where there are none to check against (local mode). */
  services: readonly Service[] | undefined;
  /** The route's own target: an overlay that only sends traffic there would change nothing. */
  current: { host: string; port: number };
};

// HTTP field values never hold control characters other than tab
const controlCharacter = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * What the schema cannot see: unique rule and preview names; a destination that is an existing Service in the hub
 * namespace with that TCP port (or, with no port given, with exactly one port, which Istio then picks by
 * itself); header values that can ever match; header regexes that RE2 compiles (the apiserver does not
 * check them, and a regex Envoy rejects would hold up the gateway's whole route update); and no overlay
 * that routes to the route's own target without a subset, which would silently do nothing.
 */
export function checkOverlays(o: Overlays, ctx: OverlayCheckContext): FieldError[] {
  const errors: FieldError[] = [];
  if (o.canary) errors.push(...checkDestination(o.canary.destination, 'canary.destination', ctx));
  const firstIndex = new Map<string, number>();
  o.rules.forEach((rule, i) => {
    const first = firstIndex.get(rule.name);
    if (first === undefined) firstIndex.set(rule.name, i);
    else errors.push({ field: `rules[${i}].name`, message: `duplicate: rules[${first}] is already named ${JSON.stringify(rule.name)}` });
    errors.push(...checkMatch(rule.match, `rules[${i}].match`));
    errors.push(...checkDestination(rule.destination, `rules[${i}].destination`, ctx));
  });
  const previewIndex = new Map<string, number>();
  o.previews?.forEach((p, i) => {
    const first = previewIndex.get(p.name);
    if (first === undefined) previewIndex.set(p.name, i);
    else errors.push({ field: `previews[${i}].name`, message: `duplicate: previews[${first}] is already named ${JSON.stringify(p.name)}` });
    errors.push(...checkDestination(p.destination, `previews[${i}].destination`, ctx));
  });
  return errors;
}

function checkMatch(match: SelectiveMatch, field: string): FieldError[] {
  if ('cookie' in match) {
    if (controlCharacter.test(match.value) || /[;\s]/.test(match.value)) {
      return [{ field: `${field}.value`, message: 'a cookie value cannot hold ";", whitespace or control characters' }];
    }
    return [];
  }
  const [key, value] = 'exact' in match ? (['exact', match.exact] as const) : (['regex', match.regex] as const);
  if (controlCharacter.test(value)) return [{ field: `${field}.${key}`, message: 'must not hold control characters' }];
  if (key === 'exact' && value.trim() !== value) return [{ field: `${field}.exact`, message: 'must not start or end with whitespace: HTTP strips it from header values' }];
  if (key === 'regex') {
    try {
      RE2JS.compile(value);
    } catch (error) {
      return [{ field: `${field}.regex`, message: `not an RE2 regex: ${(error as Error).message}` }];
    }
  }
  return [];
}

function checkDestination(d: ServiceDestination, field: string, ctx: OverlayCheckContext): FieldError[] {
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
