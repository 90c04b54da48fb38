import { destinationPortMissing } from './checkers/destination-port-missing';
import { destinationPortNotHttp } from './checkers/destination-port-not-http';
import { destinationServiceMissing } from './checkers/destination-service-missing';
import { duplicateMatch } from './checkers/duplicate-match';
import { gatewayMissing } from './checkers/gateway-missing';
import { hubRouteContested } from './checkers/hub-route-contested';
import { hubRouteShadowed } from './checkers/hub-route-shadowed';
import { hubRoutesOutOfOrder } from './checkers/hub-routes-out-of-order';
import { namespaceWithoutInjection } from './checkers/namespace-injection';
import { podWithoutRoute } from './checkers/pod-without-route';
import { podWithoutSidecar } from './checkers/pod-without-sidecar';
import { routeWithoutPod } from './checkers/route-without-pod';
import { tlsDisabledUnderStrict } from './checkers/tls-disabled-under-strict';
import { ambientPortMtls } from './checkers/ambient-port-mtls';
import { ambientL7Policy } from './checkers/ambient-l7-policy';
import { circuitBreakingBlocked, faultWithoutScopeOrExpiry, rateLimitMatchesNoRoute, retryBudgetOverTimeout, timeoutOnWebsocketRoute } from './checkers/resilience';
import { authorizationSelectsNothing, identityWithoutMtls, invalidMethod, principalWithoutIdentity } from './checkers/authorization';
import { egressBlocksIstiod, gatewayBlocked, metricsPortClosed, namespaceWithoutNetworkPolicy, proxyPolicyLeft } from './checkers/network-policies';
import type { Checker, CheckerInfo, Finding, ObjectRef, Severity, ValidationSnapshot } from './checkers/types';

export type { Area, Checker, CheckerInfo, Finding, ObjectRef, Severity, ValidationSnapshot } from './checkers/types';

/**
 * hubmesh's validations ("doctor"), in the manner of Kiali's: one pure checker per rule, each with a stable code.
 *
 * Codes are HM<area><nnn>: 1 routing (VirtualServices on the gateway), 2 destinations (route → Service → pod),
 * 3 workloads (notebook pods and injection), 4 security (mTLS), 5 resilience (retries, timeouts, faults, rate limits), 6 isolation
 * (AuthorizationPolicies and NetworkPolicies). A code names one rule forever: when a rule is
 * retired its code is retired with it and never given to another rule, so alerts, runbooks and bookmarks that
 * mention a code stay right. New rules take the next free number of their area.
 */
export const CATALOGUE: readonly Checker[] = [
  gatewayMissing,
  duplicateMatch,
  hubRouteShadowed,
  hubRouteContested,
  hubRoutesOutOfOrder,
  destinationServiceMissing,
  destinationPortMissing,
  destinationPortNotHttp,
  routeWithoutPod,
  podWithoutRoute,
  namespaceWithoutInjection,
  podWithoutSidecar,
  tlsDisabledUnderStrict,
  ambientPortMtls,
  retryBudgetOverTimeout,
  timeoutOnWebsocketRoute,
  faultWithoutScopeOrExpiry,
  rateLimitMatchesNoRoute,
  circuitBreakingBlocked,
  authorizationSelectsNothing,
  identityWithoutMtls,
  principalWithoutIdentity,
  invalidMethod,
  ambientL7Policy,
  egressBlocksIstiod,
  gatewayBlocked,
  proxyPolicyLeft,
  namespaceWithoutNetworkPolicy,
  metricsPortClosed,
];

export type CatalogueEntry = CheckerInfo & { count: number };

export type ValidationReport = {
  findings: Finding[];
  /** findings per code, every catalogue code present (0 when clean) */
  counts: Record<string, number>;
  bySeverity: Record<Severity, number>;
  /** every rule, in code order, with its number of findings: what the validations page lists */
  catalogue: CatalogueEntry[];
};

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const refKey = (ref: ObjectRef) => `${ref.kind}\u0000${ref.namespace ?? ''}\u0000${ref.name}`;

/** Most severe first, then by code, by the object (kind, namespace, name), by message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareText(a.code, b.code) ||
    compareText(refKey(a.object), refKey(b.object)) ||
    compareText(a.message, b.message)
  );
}

/** Runs every checker of the catalogue on one snapshot. Pure: the same snapshot gives the same report. */
export function runValidations(snapshot: ValidationSnapshot, checkers: readonly Checker[] = CATALOGUE): ValidationReport {
  const findings = checkers.flatMap((checker) => checker.check(snapshot)).sort(compareFindings);
  const counts = Object.fromEntries(checkers.map((c) => [c.code, 0]));
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) {
    counts[finding.code] = (counts[finding.code] ?? 0) + 1;
    bySeverity[finding.severity]++;
  }
  const catalogue = checkers
    .map(({ code, severity, area, title, description }) => ({ code, severity, area, title, description, count: counts[code]! }))
    .sort((a, b) => compareText(a.code, b.code));
  return { findings, counts, bySeverity, catalogue };
}
