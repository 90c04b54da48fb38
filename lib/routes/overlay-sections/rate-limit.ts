import { z } from 'zod';
import { defineSection } from './section';

/** The units a rate limit counts per, as Envoy's token bucket refills. */
export const RATE_UNITS = { second: '1s', minute: '60s', hour: '3600s' } as const;

export const rateLimitPolicy = z
  .strictObject({
    requests: z.number().int('must be a whole number').min(1, 'must be 1 to 100000').max(100_000, 'must be 1 to 100000'),
    per: z.enum(['second', 'minute', 'hour'], { error: 'must be second, minute or hour' }),
    /** how many requests may come at once after a quiet spell (the bucket's size); `requests` when not given */
    burst: z.number().int('must be a whole number').min(1, 'must be 1 to 1000000').max(1_000_000, 'must be 1 to 1000000').optional(),
  })
  .refine((p) => p.burst === undefined || p.burst >= p.requests, { message: 'must be at least requests: the bucket must hold one refill', path: ['burst'] });

/**
 * A rate limit at the ingress gateway, per gateway replica (Envoy's local rate limit): a token bucket of
 * `burst` requests refilled with `requests` every `per`; a request that finds it empty gets 429. "off": no
 * limit on this route, whatever the notebook defaults say.
 */
export const rateLimit = z.union([z.literal('off'), rateLimitPolicy]);
export type RateLimit = z.infer<typeof rateLimit>;
export type RateLimitPolicy = z.infer<typeof rateLimitPolicy>;

export function describeRateLimit(value: RateLimit): string {
  if (value === 'off') return 'rate limit off';
  return `rate limit ${value.requests} per ${value.per}${value.burst !== undefined ? ` (bursts of ${value.burst})` : ''}`;
}

/** Envoy's token bucket for the limit. */
export const tokenBucket = (p: RateLimitPolicy) => ({ max_tokens: p.burst ?? p.requests, tokens_per_fill: p.requests, fill_interval: RATE_UNITS[p.per] });

/**
 * The limit itself is the gateway's EnvoyFilter (rate-limits.ts), which finds the route's Envoy routes by name:
 * Istio names them `<rule>.<match name>`, so the route's own matches are named after its VirtualService.
 */
export const rateLimitSection = defineSection({
  schema: rateLimit.optional(),
  editedBy: 'overlays',
  isSet: (value) => value !== undefined,
  describe: (value) => value && describeRateLimit(value),
  check: () => [],
  ownMatchName: (value, { virtualService }) => (value !== undefined && value !== 'off' ? virtualService : undefined),
});
