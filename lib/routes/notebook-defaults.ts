import { z } from 'zod';
import { retries } from './overlay-sections/retries';
import { rateLimitPolicy } from './overlay-sections/rate-limit';
import { describeRateLimit, type Overlays } from './overlays';
import { describeRetries } from './overlay-sections/retries';

/**
 * The policy an admin sets once for every notebook route, the ones the hub adds now and later: the start-up
 * retries and a per-user rate limit. A route's own setting of the same section ("off" included) wins.
 */
export const notebookDefaults = z.strictObject({
  retries: retries.optional(),
  rateLimit: rateLimitPolicy.optional(),
});

export type NotebookDefaults = z.infer<typeof notebookDefaults>;

export const NO_DEFAULTS: NotebookDefaults = {};

/** A notebook server's route: the hub registered it for a user (`user` in its data), and it is not the hub's own. */
export const isNotebookRoute = (data: Readonly<Record<string, unknown>>): boolean => typeof data.user === 'string' && data.hub !== true;

/** The sections the defaults gave a route (those its own overlays leave unset). */
export function inheritedSections(overlays: Overlays, data: Readonly<Record<string, unknown>>, defaults: NotebookDefaults): Array<keyof NotebookDefaults> {
  if (!isNotebookRoute(data)) return [];
  return (Object.keys(defaults) as Array<keyof NotebookDefaults>).filter((key) => defaults[key] !== undefined && overlays[key] === undefined);
}

/** The overlays a route renders with: its own, and for a notebook's route the defaults of each section it leaves unset. */
export function withNotebookDefaults(overlays: Overlays, data: Readonly<Record<string, unknown>>, defaults: NotebookDefaults): Overlays {
  const inherited = inheritedSections(overlays, data, defaults);
  if (!inherited.length) return overlays;
  return { ...overlays, ...Object.fromEntries(inherited.map((key) => [key, defaults[key]])) };
}

export function describeDefaults(defaults: NotebookDefaults): string {
  const parts = [...(defaults.retries ? [describeRetries(defaults.retries)] : []), ...(defaults.rateLimit ? [describeRateLimit(defaults.rateLimit)] : [])];
  return parts.length ? `every notebook: ${parts.join('; ')}` : 'no notebook defaults';
}
