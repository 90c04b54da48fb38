import { z } from 'zod';
import { coversPath, splitHostRoute } from '../routespec';
import { DAY_MS, MINUTE_MS, timeToLive } from './durations';
import { checkDestination, cookieRegex, defineSection, dnsName, fieldName, serviceDestination, uniqueNames, type FieldError, type HeaderConditions } from './section';

/** The header and the cookie that select a preview: either carries the preview's name. */
export const PREVIEW_HEADER = 'x-hubmesh-preview';
export const PREVIEW_COOKIE = 'hubmesh-preview';

/** The rule that keeps the hub's API on the route's own target for requests that carry a preview above it. */
export const HUB_API_GUARD_RULE = 'preview-guard-hub-api';

export const PREVIEW_TTL_MIN_MS = 5 * MINUTE_MS;
export const PREVIEW_TTL_MAX_MS = 7 * DAY_MS;

/** A preview's time to live, e.g. "30m", "2h" or "3d", as milliseconds: from 5 minutes to 7 days. */
export const previewTtl = timeToLive(PREVIEW_TTL_MIN_MS, PREVIEW_TTL_MAX_MS);

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

export type Preview = z.infer<typeof preview>;
/** previewInput after parsing: ttl is in milliseconds. */
export type PreviewInput = z.output<typeof previewInput>;

/** A preview's input from untrusted JSON, with every schema issue named by its field (ttl in milliseconds). */
export function parsePreviewInput(input: unknown): { ok: true; input: PreviewInput } | { ok: false; errors: FieldError[] } {
  const parsed = previewInput.safeParse(input);
  if (parsed.success) return { ok: true, input: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => ({ field: fieldName(issue.path), message: issue.message })) };
}

const byName = (a: Preview, b: Preview) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Previews (set through the previews API, which keeps them here): by name (`preview-<name>`), each the
 * preview's path narrowed by its header or cookie; an expired one stays until the janitor removes it.
 * They come first, after the hub API's guard when a preview is above the hub's API and may not shadow it.
 */
export const previewsSection = defineSection({
  /** Absent rather than empty, so the annotation (and everything reading overlays) is as before previews existed. */
  schema: z.array(preview).max(50, 'at most 50 previews per route').optional(),
  editedBy: 'previews',
  isSet: (value) => (value?.length ?? 0) > 0,
  describe: (value) => (value?.length ? `previews ${value.map((p) => p.name).join(', ')}` : undefined),
  check: (value, field, ctx) => {
    const duplicate = uniqueNames(field);
    return (value ?? []).flatMap((p, i): FieldError[] => [...duplicate(p, i), ...checkDestination(p.destination, `${field}[${i}].destination`, ctx)]);
  },
  rules: {
    precedence: 10,
    render: (value, { hostRouting, hubApiPath, rule, toService, toOwnTarget, overlayMatches, pathMatches }) => {
      const previews = [...(value ?? [])].sort(byName);
      // previews strictly above the hub's API
      const guarded = previews.filter((p) => {
        const above = splitHostRoute(p.pathPrefix, hostRouting).path;
        return !p.allowShadow && above !== hubApiPath && coversPath(above, hubApiPath);
      });
      const previewRules = previews.flatMap((p) => {
        const match = overlayMatches(p.pathPrefix, previewConditions(p));
        return match.length ? [rule(`preview-${p.name}`, match, [{ destination: toService(p.destination) }])] : [];
      });
      const guard = guarded.length ? toOwnTarget(HUB_API_GUARD_RULE, pathMatches(hubApiPath).flatMap((m) => guarded.flatMap((p) => previewConditions(p).map((headers) => ({ ...m, headers }))))) : [];
      return [...guard, ...previewRules];
    },
  },
});

function previewConditions(p: Preview): HeaderConditions[] {
  const conditions: HeaderConditions[] = [];
  if (p.match.header) conditions.push({ [PREVIEW_HEADER]: { exact: p.name } });
  if (p.match.cookie) conditions.push({ cookie: { regex: cookieRegex(PREVIEW_COOKIE, p.name) } });
  return conditions;
}
