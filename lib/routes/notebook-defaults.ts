import { z } from 'zod';
import { retries } from './overlay-sections/retries';
import { rateLimitPolicy } from './overlay-sections/rate-limit';
import { describeRateLimit, type Overlays } from './overlays';
import { describeRetries } from './overlay-sections/retries';
import { isNotebookRoute } from './notebook-route';
import { circuitBreaking, describeCircuitBreaking } from './circuit-breaking';

/**
 * The policy an admin sets once for every notebook route, the ones the hub adds now and later: the start-up
 * retries and a per-user rate limit. A route's own setting of the same section ("off" included) wins.
 */
export const notebookDefaults = z.strictObject({
  retries: retries.optional(),
  rateLimit: rateLimitPolicy.optional(),
  circuitBreaking: circuitBreaking.optional(),
});

export type NotebookDefaults = z.infer<typeof notebookDefaults>;

export const NO_DEFAULTS: NotebookDefaults = {};

export { isNotebookRoute } from './notebook-route';

/** The defaults that are overlay sections a route may set itself (circuit breaking is its Service's, not its route's). */
const ROUTE_SECTIONS = ['retries', 'rateLimit'] as const;
type RouteSection = (typeof ROUTE_SECTIONS)[number];

/** The sections the defaults gave a route (those its own overlays leave unset). */
export function inheritedSections(overlays: Overlays, data: Readonly<Record<string, unknown>>, defaults: NotebookDefaults): RouteSection[] {
  if (!isNotebookRoute(data)) return [];
  return ROUTE_SECTIONS.filter((key) => defaults[key] !== undefined && overlays[key] === undefined);
}

/** The overlays a route renders with: its own, and for a notebook's route the defaults of each section it leaves unset. */
export function withNotebookDefaults(overlays: Overlays, data: Readonly<Record<string, unknown>>, defaults: NotebookDefaults): Overlays {
  const inherited = inheritedSections(overlays, data, defaults);
  if (!inherited.length) return overlays;
  return { ...overlays, ...Object.fromEntries(inherited.map((key) => [key, defaults[key]])) };
}

export function describeDefaults(defaults: NotebookDefaults): string {
  const parts = [
    ...(defaults.retries ? [describeRetries(defaults.retries)] : []),
    ...(defaults.rateLimit ? [describeRateLimit(defaults.rateLimit)] : []),
    ...(defaults.circuitBreaking ? [describeCircuitBreaking(defaults.circuitBreaking)] : []),
  ];
  return parts.length ? `every notebook: ${parts.join('; ')}` : 'no notebook defaults';
}
