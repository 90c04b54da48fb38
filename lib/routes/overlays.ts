import { z } from 'zod';
import type { HTTPRoute, HTTPRouteDestination } from '../kube/virtualservices';
import { OVERLAY_SECTIONS } from './overlay-sections/registry';
import { issueErrors, type FieldError, type OverlayCheckContext, type OverlayRenderInput, type OverlaySection, type RuleSettings } from './overlay-sections/section';

// what the rest of hubmesh uses of the sections, so that it imports overlays from this one module
export { HUB_API_GUARD_RULE, parsePreviewInput, PREVIEW_COOKIE, PREVIEW_TTL_MAX_MS, PREVIEW_TTL_MIN_MS, previewInput, previewTtl, type Preview, type PreviewInput } from './overlay-sections/previews';
export type { SelectiveMatch, SelectiveRule } from './overlay-sections/rules';
export { FAULT_HEADER, FAULT_RULE, faultExpired, faultTtl, isUnscoped, type Fault } from './overlay-sections/fault';
export { STARTUP_RETRIES, STARTUP_RETRY_ON, type Retries } from './overlay-sections/retries';
export { describeRateLimit, tokenBucket, type RateLimit, type RateLimitPolicy } from './overlay-sections/rate-limit';
export { cookieRegex, escapeRe2, fieldName, issueErrors, type FieldError, type OverlayCheckContext, type ServiceDestination } from './overlay-sections/section';

/**
 * Per-route settings such as canary, selective rules and previews, kept apart from the hub's route data (in the
 * VirtualService's `hubmesh.io/overlays` annotation) so that the hub's re-POSTs never drop them, and rendered
 * into the route's own VirtualService before its catch-all rule (see shared/mesh-facts.md: rules that must win
 * over a route belong in the same VirtualService). Each key is a section of overlay-sections/registry.ts.
 */

type Sections = typeof OVERLAY_SECTIONS;
type SectionKey = keyof Sections;
type Section = OverlaySection<z.ZodType>;

const sections = Object.entries(OVERLAY_SECTIONS) as Array<[SectionKey, Section]>;
const sectionKeys = sections.map(([key]) => key).join(', ');
/** The sections that add rules, in the order their rules are tried. */
const rulesInOrder = sections.flatMap(([key, section]) => (section.rules ? [[key, section.rules] as const] : [])).sort(([, a], [, b]) => a.precedence - b.precedence);

/** The overlays object: one optional or defaulted key per section; any other key is refused, naming it. */
export const overlays = z.strictObject(Object.fromEntries(sections.map(([key, section]) => [key, section.schema])) as { [K in SectionKey]: Sections[K]['schema'] }, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `not an overlay section: ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (the sections are ${sectionKeys})` : undefined),
});

export type Overlays = z.infer<typeof overlays>;

/** No overlays: what every section reads as when absent. */
export const NO_OVERLAYS: Overlays = overlays.parse({});

const valueOf = (o: Overlays, key: SectionKey): unknown => o[key];

export function hasOverlays(o: Overlays): boolean {
  return sections.some(([key, section]) => section.isSet(valueOf(o, key)));
}

export const formatFieldErrors = (errors: readonly FieldError[]): string => errors.map((e) => `${e.field || '(overlays)'}: ${e.message}`).join('; ');

/** Overlays from untrusted JSON (a request body or the annotation), with every schema issue named by its field. */
export function parseOverlays(input: unknown): { ok: true; overlays: Overlays } | { ok: false; errors: FieldError[] } {
  const parsed = overlays.safeParse(input);
  if (parsed.success) return { ok: true, overlays: parsed.data };
  return { ok: false, errors: issueErrors(parsed.error.issues as never) };
}

/** What the schema cannot see, section by section (see each section's check). */
export function checkOverlays(o: Overlays, ctx: OverlayCheckContext): FieldError[] {
  return sections.flatMap(([key, section]) => section.check(valueOf(o, key), key, ctx));
}

/** Advice on valid values that may not do what their author wants, section by section (see each section's warn). */
export function warnOverlays(o: Overlays, ctx: OverlayCheckContext): FieldError[] {
  return sections.flatMap(([key, section]) => section.warn?.(valueOf(o, key), key, ctx) ?? []);
}

/**
 * The overlays after a change by `editor`: its sections as `input` has them, every other section as `stored`
 * has it (the overlays editor sends back the previews it was shown; the previews API owns them).
 */
export function editedOverlays(input: Overlays, stored: Overlays, editor: Section['editedBy']): Overlays {
  const entries = sections.flatMap(([key, section]) => {
    const value = valueOf(section.editedBy === editor ? input : stored, key);
    return value === undefined ? [] : [[key, value] as const];
  });
  return Object.fromEntries(entries) as Overlays;
}

/** The keys of the sections the overlays editor sets (PUT and PATCH .../overlays). */
export const editableSections = (): string[] => sections.flatMap(([key, section]) => (section.editedBy === 'overlays' ? [key] : []));

/** The sections `editor` sets, in words, for the audit: "canary 10% to hub-canary; rules a, b". */
export function describeOverlays(o: Overlays, editor: Section['editedBy']): string {
  const parts = sections.flatMap(([key, section]) => (section.editedBy === editor ? (section.describe(valueOf(o, key)) ?? []) : []));
  return parts.length ? parts.join('; ') : 'overlays off (plain route)';
}

/** Where the route's own rule sends its traffic: `routeTo` as each section's destinations change it, in registry order. */
export function renderDestinations(o: Overlays, routeTo: HTTPRouteDestination[], input: Omit<OverlayRenderInput, 'routeTo'>): HTTPRouteDestination[] {
  return sections.reduce((to, [key, section]) => section.destinations?.(valueOf(o, key), to, { ...input, routeTo: to }) ?? to, routeTo);
}

/** What the sections set on each of the route's rules that sends traffic on, merged in registry order. */
export function renderRuleSettings(o: Overlays): RuleSettings {
  return sections.reduce<RuleSettings>((settings, [key, section]) => ({ ...settings, ...section.settings?.(valueOf(o, key)) }), {});
}

/** The name of the route's own matches, from the first section that names them. */
export function renderOwnMatchName(o: Overlays, input: Pick<OverlayRenderInput, 'virtualService'>): string | undefined {
  for (const [key, section] of sections) {
    const name = section.ownMatchName?.(valueOf(o, key), input);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** The sections' rules, tried before the route's own: by precedence, lowest first. */
export function renderOverlayRules(o: Overlays, input: OverlayRenderInput): HTTPRoute[] {
  return rulesInOrder.flatMap(([key, rules]) => rules.render(valueOf(o, key), input));
}

