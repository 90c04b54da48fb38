import { z } from 'zod';

/**
 * Canary and selective routing on a route, kept apart from the hub's route data (in the VirtualService's
 * `hubmesh.io/overlays` annotation) so that the hub's re-POSTs never drop them, and rendered into the
 * route's own VirtualService before its catch-all rule (see shared/mesh-facts.md: rules that must win
 * over a route belong in the same VirtualService).
 */

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMessage = 'must be a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters';
const dnsName = z.string().max(63, dnsLabelMessage).regex(dnsLabel, dnsLabelMessage);

/** A Service in the hub namespace (short name), with an optional port and DestinationRule subset. */
export const serviceDestination = z.strictObject({
  service: dnsName,
  port: z.number().int().min(1).max(65535).optional(),
  subset: dnsName.optional(),
});

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

const percent = z.number().int('must be a whole percent').min(0, 'must be 0 to 100').max(100, 'must be 0 to 100');

/** Weighted canary: the route's traffic split between its own target and the canary, in percent adding up to 100. */
export const canary = z.strictObject({
  weights: z.strictObject({ current: percent, canary: percent }).refine((w) => w.current + w.canary === 100, { message: 'must add up to 100', path: ['canary'] }),
  destination: serviceDestination,
});

export const overlays = z.strictObject({
  canary: canary.optional(),
  rules: z.array(selectiveRule).max(20, 'at most 20 rules per route').default([]),
});

export type ServiceDestination = z.infer<typeof serviceDestination>;
export type SelectiveMatch = z.infer<typeof selectiveMatch>;
export type SelectiveRule = z.infer<typeof selectiveRule>;
export type Canary = z.infer<typeof canary>;
export type Overlays = z.infer<typeof overlays>;

export const NO_OVERLAYS: Overlays = { rules: [] };
