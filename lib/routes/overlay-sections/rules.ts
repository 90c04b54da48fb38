import { RE2JS } from 're2js';
import { z } from 'zod';
import { checkDestination, controlCharacter, cookieRegex, defineSection, dnsName, serviceDestination, uniqueNames, type FieldError, type HeaderConditions } from './section';

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

export type SelectiveMatch = z.infer<typeof selectiveMatch>;
export type SelectiveRule = z.infer<typeof selectiveRule>;

/**
 * Selective rules: requests with a header or cookie go to another Service, tried in the order given
 * (`rule-<name>`), after the previews and before the route's own rule.
 */
export const rulesSection = defineSection({
  schema: z.array(selectiveRule).max(20, 'at most 20 rules per route').default([]),
  editedBy: 'overlays',
  isSet: (value) => value.length > 0,
  describe: (value) => (value.length ? `rules ${value.map((r) => r.name).join(', ')}` : undefined),
  /** Also: header values that can ever match, and header regexes that RE2 compiles (the apiserver does not check them, and a regex Envoy rejects would hold up the gateway's whole route update). */
  check: (value, field, ctx) => {
    const duplicate = uniqueNames(field);
    return value.flatMap((rule, i) => [...duplicate(rule, i), ...checkMatch(rule.match, `${field}[${i}].match`), ...checkDestination(rule.destination, `${field}[${i}].destination`, ctx)]);
  },
  rules: {
    precedence: 20,
    render: (value, { routePath, rule, toService, overlayMatches }) =>
      value.flatMap((r) => {
        const match = overlayMatches(routePath, [headerCondition(r.match)]);
        return match.length ? [rule(`rule-${r.name}`, match, [{ destination: toService(r.destination) }])] : [];
      }),
  },
});

/** The header condition of a match, as Istio's HTTPMatchRequest.headers takes it. */
export function headerCondition(match: SelectiveMatch): HeaderConditions {
  if ('cookie' in match) return { cookie: { regex: cookieRegex(match.cookie, match.value) } };
  return 'exact' in match ? { [match.header]: { exact: match.exact } } : { [match.header]: { regex: match.regex } };
}

/** What the schema cannot see in a match: values that can never match, and regexes RE2 does not compile. */
export function checkMatch(match: SelectiveMatch, field: string): FieldError[] {
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
