import { z } from 'zod';
import { defineSection, type FieldError } from './section';
import { duration, istioDuration } from './durations';
import { STARTUP_RETRY_ON } from './presets';

export { STARTUP_RETRIES, STARTUP_RETRY_ON } from './presets';

/**
 * Envoy's retry conditions that Istio accepts (pkg/config/validation's supportedRetryOnPolicies), by when
 * they fire: `unsent`, the request never reached a server; `broken`, the connection broke before any answer,
 * so a server may have begun it; `answered`, a server answered, so it ran the request, and a retry runs a POST
 * (a cell's execution, a file's save) again. Nothing retries `answered` by default.
 */
export const RETRY_CONDITIONS = {
  'connect-failure': { when: 'unsent', words: 'the connection to the server failed' },
  'refused-stream': { when: 'unsent', words: 'the server refused the HTTP/2 stream' },
  'reset-before-request': { when: 'unsent', words: 'the connection was reset before the request was sent' },
  'http3-post-connect-failure': { when: 'unsent', words: 'an HTTP/3 connection failed after connecting' },
  'envoy-ratelimited': { when: 'unsent', words: 'Envoy rate-limited the request' },
  unavailable: { when: 'unsent', words: 'a gRPC server answered UNAVAILABLE (by gRPC convention, it did not run the call)' },
  reset: { when: 'broken', words: 'the connection was reset or closed before any answer' },
  '5xx': { when: 'answered', words: 'the server answered any 5xx' },
  'gateway-error': { when: 'answered', words: 'the server answered 502, 503 or 504' },
  'retriable-4xx': { when: 'answered', words: 'the server answered 409' },
  'retriable-status-codes': { when: 'answered', words: 'the server answered a listed status code' },
  'retriable-headers': { when: 'answered', words: 'the response carried a retriable header' },
  cancelled: { when: 'answered', words: 'a gRPC server answered CANCELLED' },
  'deadline-exceeded': { when: 'answered', words: 'a gRPC server answered DEADLINE_EXCEEDED' },
  internal: { when: 'answered', words: 'a gRPC server answered INTERNAL' },
  'resource-exhausted': { when: 'answered', words: 'a gRPC server answered RESOURCE_EXHAUSTED' },
} as const satisfies Record<string, { when: 'unsent' | 'broken' | 'answered'; words: string }>;

type Condition = keyof typeof RETRY_CONDITIONS;
const isCondition = (token: string): token is Condition => Object.hasOwn(RETRY_CONDITIONS, token);
const isStatusCode = (token: string) => /^[1-5][0-9]{2}$/.test(token);

const retryOn = z
  .string()
  .min(1)
  .max(512)
  .refine((text) => text.split(',').every((token) => isCondition(token) || isStatusCode(token)), {
    message: `must be a comma-separated list of ${Object.keys(RETRY_CONDITIONS).join(', ')} or HTTP status codes`,
  })
  .refine((text) => new Set(text.split(',')).size === text.split(',').length, 'must not repeat a condition');

export const retryPolicy = z.strictObject({
  attempts: z.number().int('must be a whole number').min(1, 'must be 1 to 10 (use "off" for none)').max(10, 'must be 1 to 10'),
  perTryTimeout: duration(1, 3_600_000).optional(),
  retryOn: retryOn.default(STARTUP_RETRY_ON),
});

/** "off": no retries on this route, whatever Istio's default or the notebook defaults would do. */
export const retries = z.union([z.literal('off'), retryPolicy]);
export type Retries = z.infer<typeof retries>;
export type RetryPolicy = z.infer<typeof retryPolicy>;

/** The conditions of a policy that retry a request a server answered (status codes too). */
export function answeredConditions(policy: RetryPolicy): string[] {
  return policy.retryOn.split(',').filter((token) => !isCondition(token) || RETRY_CONDITIONS[token].when === 'answered');
}

/** The policy in plain words, condition by condition. */
export function retryWords(policy: RetryPolicy): string[] {
  return policy.retryOn.split(',').map((token) => (isCondition(token) ? RETRY_CONDITIONS[token].words : `the server answered ${token}`));
}

export function describeRetries(value: Retries): string {
  if (value === 'off') return 'retries off';
  return `retries ${value.attempts}× on ${value.retryOn}${value.perTryTimeout ? `, ${value.perTryTimeout} per try` : ''}`;
}

/** Istio's retry settings: attempts 0 turns off its default retries (2 attempts). */
export function retrySettings(value: Retries) {
  if (value === 'off') return { retries: { attempts: 0 } };
  return { retries: { attempts: value.attempts, retryOn: value.retryOn, ...(value.perTryTimeout ? { perTryTimeout: istioDuration(value.perTryTimeout) } : {}) } };
}

export const retriesSection = defineSection({
  schema: retries.optional(),
  editedBy: 'overlays',
  isSet: (value) => value !== undefined,
  describe: (value) => value && describeRetries(value),
  check: () => [],
  warn: (value, field): FieldError[] => {
    if (value === undefined || value === 'off') return [];
    const answered = answeredConditions(value);
    return answered.length
      ? [{ field: `${field}.retryOn`, message: `${answered.join(', ')} retries requests the server answered: a POST (a cell's execution, a file's save) runs twice` }]
      : [];
  },
  settings: (value) => (value === undefined ? {} : retrySettings(value)),
});
