import { z } from 'zod';
import { HOUR_MS, MINUTE_MS, duration, istioDuration, timeToLive } from './durations';
import { checkMatch, headerCondition, selectiveMatch, type SelectiveMatch } from './rules';
import { defineSection, type FieldError } from './section';

export { FAULT_HEADER } from './presets';
/** The rule that carries a scoped fault: the route's own traffic, for requests that carry the scope. */
export const FAULT_RULE = 'fault';

export const FAULT_TTL_MIN_MS = MINUTE_MS;
export const FAULT_TTL_MAX_MS = 24 * HOUR_MS;
/** A fault's time to live as its author gives it ("15m", "2h"): from 1 minute to 24 hours. */
export const faultTtl = timeToLive(FAULT_TTL_MIN_MS, FAULT_TTL_MAX_MS);

const percent = z.number().gt(0, 'must be more than 0').max(100, 'must be at most 100').multipleOf(0.0001, 'must have at most 4 decimals');

/**
 * Fault injection for demos and tests: a delay and/or an abort of a share of the route's requests. `scope`
 * says which requests: those carrying a header or cookie (the default, so real users are never hit by
 * accident), or "everyone", which an admin must confirm. Every fault expires; the janitor removes it then.
 */
export const fault = z
  .strictObject({
    delay: z.strictObject({ percent, fixedDelay: duration(1, 60_000) }).optional(),
    abort: z.strictObject({ percent, httpStatus: z.number().int().min(200, 'must be an HTTP status from 200 to 599').max(599, 'must be an HTTP status from 200 to 599') }).optional(),
    scope: z.union([selectiveMatch, z.literal('everyone')]),
    expiresAt: z.string().datetime({ offset: true }),
    owner: z.string().min(1).max(253).optional(),
  })
  .refine((f) => f.delay !== undefined || f.abort !== undefined, { message: 'needs a delay, an abort or both', path: ['abort'] });

export type Fault = z.infer<typeof fault>;

export const isUnscoped = (value: Fault | undefined): boolean => value?.scope === 'everyone';
export const faultExpired = (value: Fault, now: Date): boolean => Date.parse(value.expiresAt) <= now.getTime();

function describeScope(scope: SelectiveMatch | 'everyone'): string {
  if (scope === 'everyone') return 'every request';
  if ('cookie' in scope) return `requests with cookie ${scope.cookie}=${scope.value}`;
  return 'exact' in scope ? `requests with ${scope.header}: ${scope.exact}` : `requests whose ${scope.header} matches ${scope.regex}`;
}

export function describeFault(value: Fault): string {
  const parts = [
    ...(value.delay ? [`delay ${value.delay.fixedDelay} on ${value.delay.percent}%`] : []),
    ...(value.abort ? [`abort ${value.abort.httpStatus} on ${value.abort.percent}%`] : []),
  ];
  return `fault ${parts.join(' and ')} of ${describeScope(value.scope)} until ${value.expiresAt}`;
}

/** Istio's HTTPFaultInjection for the fault. */
export function faultInjection(value: Fault) {
  return {
    ...(value.delay ? { delay: { percentage: { value: value.delay.percent }, fixedDelay: istioDuration(value.delay.fixedDelay) } } : {}),
    ...(value.abort ? { abort: { percentage: { value: value.abort.percent }, httpStatus: value.abort.httpStatus } } : {}),
  };
}

/**
 * A scoped fault is a rule of its own (`fault`), tried first: the route's own matches narrowed by the scope,
 * sent where the route sends its traffic. An unscoped one is set on every rule of the route.
 */
export const faultSection = defineSection({
  schema: fault.optional(),
  editedBy: 'overlays',
  isSet: (value) => value !== undefined,
  describe: (value) => value && describeFault(value),
  check: (value, field, { now }): FieldError[] => {
    if (!value) return [];
    const errors = value.scope === 'everyone' ? [] : checkMatch(value.scope, `${field}.scope`);
    const left = Date.parse(value.expiresAt) - now.getTime();
    if (left <= 0) errors.push({ field: `${field}.expiresAt`, message: `has passed (${value.expiresAt}): give the fault a ttl` });
    else if (left > FAULT_TTL_MAX_MS + MINUTE_MS) errors.push({ field: `${field}.expiresAt`, message: 'is more than 24h away: a fault lives at most 24h' });
    return errors;
  },
  settings: (value) => (value?.scope === 'everyone' ? { fault: faultInjection(value) } : {}),
  rules: {
    precedence: 5,
    render: (value, { routePath, toOwnTarget, overlayMatches }) => {
      if (!value || value.scope === 'everyone') return [];
      const match = overlayMatches(routePath, [headerCondition(value.scope)]);
      return match.length ? toOwnTarget(FAULT_RULE, match).map((r) => ({ ...r, fault: faultInjection(value) })) : [];
    },
  },
});
