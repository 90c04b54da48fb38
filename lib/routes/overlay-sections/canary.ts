import { z } from 'zod';
import { checkDestination, defineSection, serviceDestination } from './section';

const percent = z.number().int('must be a whole percent').min(0, 'must be 0 to 100').max(100, 'must be 0 to 100');

/** Weighted canary: the route's traffic split between its own target and the canary, in percent adding up to 100. */
export const canary = z.strictObject({
  weights: z.strictObject({ current: percent, canary: percent }).refine((w) => w.current + w.canary === 100, { message: 'must add up to 100', path: ['canary'] }),
  destination: serviceDestination,
});

export type Canary = z.infer<typeof canary>;

/**
 * The route's rule splits by weight between the route's target (first, so readers of `route[0]` still find
 * the target) and the canary. A weight of 0 is rendered as is: Istio sends no traffic there, the object
 * still shows the canary is set, and turning it up is a one-number change.
 */
export const canarySection = defineSection({
  schema: canary.optional(),
  editedBy: 'overlays',
  isSet: (value) => value !== undefined,
  describe: (value) => value && `canary ${value.weights.canary}% to ${value.destination.service}`,
  check: (value, field, ctx) => (value ? checkDestination(value.destination, `${field}.destination`, ctx) : []),
  destinations: (value, routeTo, { toService }) =>
    value
      ? [
          { destination: routeTo[0]!.destination, weight: value.weights.current },
          { destination: toService(value.destination), weight: value.weights.canary },
        ]
      : routeTo,
});
