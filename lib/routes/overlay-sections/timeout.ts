import { z } from 'zod';
import { defineSection } from './section';
import { duration, istioDuration } from './durations';

/** A route's timeout: the most a request may take, retries included. "off": none, whatever HUBMESH_ROUTE_TIMEOUT says. */
export const timeout = z.union([z.literal('off'), duration(1, 24 * 3_600_000)]);
export type Timeout = z.infer<typeof timeout>;

/**
 * Whether a route carries websockets (and other long requests): a notebook server's (kernels, terminals) for
 * certain; a service's may. Only the hub's own route does not.
 */
export const carriesWebsockets = (data: Readonly<Record<string, unknown>>): boolean => data.hub !== true;

/** Istio's route timeout; its default (and "off") is none. */
export const timeoutSettings = (value: Timeout | undefined) => (value === undefined ? {} : value === 'off' ? { timeout: undefined } : { timeout: istioDuration(value) });

export const timeoutSection = defineSection({
  schema: timeout.optional(),
  editedBy: 'overlays',
  isSet: (value) => value !== undefined,
  describe: (value) => value && (value === 'off' ? 'timeout off' : `timeout ${value}`),
  check: () => [],
  warn: (value, field, { data }) =>
    value !== undefined && value !== 'off' && carriesWebsockets(data)
      ? [{ field, message: `this route carries websockets (kernels, terminals) and long requests: a ${value} timeout cuts any of them that lasts longer` }]
      : [],
  settings: timeoutSettings,
});
