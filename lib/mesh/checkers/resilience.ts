import type { HTTPRoute, VirtualService } from '../../kube/virtualservices';
import { durationMs } from '../../routes/overlay-sections/durations';
import { carriesWebsockets } from '../../routes/overlay-sections/timeout';
import { planCircuitBreakers } from '../../routes/circuit-breakers';
import { patchedRouteNames } from '../../routes/rate-limits';
import { isOwnRule, routeFromObject } from '../../routes/virtualservice';
import { isHubRoute, vsRef } from './routing';
import { defineChecker, type ValidationSnapshot } from './types';

/** Istio's durations as hubmesh writes them ("90s", "0.250s") in milliseconds; undefined for any other form. */
const secondsMs = (text: string | undefined) => (text !== undefined && /^\d+(\.\d+)?s$/.test(text) ? durationMs(text) : undefined);

/** Each hub route with its own rules that send traffic on. */
function hubRoutes(snapshot: ValidationSnapshot): Array<{ vs: VirtualService; rules: HTTPRoute[] }> {
  return snapshot.virtualServices.filter((vs) => isHubRoute(vs, snapshot.prefix)).map((vs) => ({ vs, rules: (vs.spec.http ?? []).filter((r) => r.route && isOwnRule(vs, r)) }));
}

export const retryBudgetOverTimeout = defineChecker(
  {
    code: 'HM5001',
    severity: 'warning',
    area: 'resilience',
    title: "Retries take longer than the route's timeout",
    description:
      "The route's timeout covers every try of a request. When the tries together (the first and every retry, each up to its per-try timeout) can last longer, the gateway gives up with 504 before the last retries run. Lower the attempts or the per-try timeout, or raise the timeout.",
  },
  (snapshot) =>
    hubRoutes(snapshot).flatMap(({ vs, rules }) => {
      const rule = rules.find((r) => {
        const timeout = secondsMs(r.timeout);
        const perTry = secondsMs(r.retries?.perTryTimeout);
        return timeout !== undefined && perTry !== undefined && (r.retries!.attempts + 1) * perTry > timeout;
      });
      if (!rule) return [];
      const path = routeFromObject(vs)!.path;
      return [
        {
          object: vsRef(vs),
          message: `Route ${path}: ${rule.retries!.attempts + 1} tries of up to ${rule.retries!.perTryTimeout} each can take longer than its timeout of ${rule.timeout}; the last retries never run.`,
        },
      ];
    }),
);

export const timeoutOnWebsocketRoute = defineChecker(
  {
    code: 'HM5002',
    severity: 'warning',
    area: 'resilience',
    title: 'A timeout on a route that carries websockets',
    description:
      "Notebook servers carry websockets (kernels, terminals) and long requests (uploads, large downloads), and services may. A route timeout cuts each of them when it lasts longer. Leave the timeout off on such routes (the default), or set it well above the longest session.",
  },
  (snapshot) =>
    hubRoutes(snapshot).flatMap(({ vs, rules }) => {
      const route = routeFromObject(vs)!;
      const timeout = rules.find((r) => r.timeout !== undefined)?.timeout;
      if (timeout === undefined || !carriesWebsockets(route.data)) return [];
      return [{ object: vsRef(vs), message: `Route ${route.path} has a ${timeout} timeout: kernels, terminals and long requests on it end after ${timeout}.` }];
    }),
);

export const faultWithoutScopeOrExpiry = defineChecker(
  {
    code: 'HM5003',
    severity: 'warning',
    area: 'resilience',
    title: 'A fault without a scope or an expiry',
    description:
      "Fault injection is for demos and tests. A fault that every request meets hits real users; a fault set outside hubmesh's fault overlay (a VirtualService edited by hand, or someone else's) has no expiry, so nothing removes it. Scope faults by a header or cookie and give them a time to live (the route drawer does both).",
  },
  (snapshot) =>
    snapshot.virtualServices.flatMap((vs) => {
      const faulty = (vs.spec.http ?? []).filter((r) => r.fault);
      if (!faulty.length) return [];
      const route = isHubRoute(vs, snapshot.prefix) ? routeFromObject(vs) : undefined;
      const fault = route?.overlays.fault;
      if (!route || !fault) {
        return [{ object: vsRef(vs), message: `VirtualService ${vs.metadata.namespace}/${vs.metadata.name} injects faults (rule ${faulty.map((r) => r.name ?? '(unnamed)').join(', ')}) that no expiry removes.` }];
      }
      if (fault.scope !== 'everyone') return [];
      return [{ object: vsRef(vs), message: `Route ${route.path} injects a fault into every request, real users' too, until ${fault.expiresAt}.` }];
    }),
);

export const rateLimitMatchesNoRoute = defineChecker(
  {
    code: 'HM5004',
    severity: 'warning',
    area: 'resilience',
    title: 'A rate limit patch that matches no route',
    description:
      "The gateway's rate-limit EnvoyFilter finds each limited route's Envoy routes by name (`<rule>.<match name>`). A patch whose name no route carries any more (the route was removed or renamed, or the object was edited by hand) limits nothing, and the route it was meant for, if it still exists, is not limited. hubmesh's leader brings the object in line with the routes after every change; a finding that stays means it cannot (see its log), or the object was edited.",
  },
  (snapshot) => {
    const names = new Set<string>();
    for (const vs of snapshot.virtualServices)
      for (const rule of vs.spec.http ?? []) for (const m of rule.match ?? []) if (m.name !== undefined) names.add(`${rule.name ?? ''}.${m.name}`);
    return snapshot.envoyFilters.flatMap((filter) => {
      const orphans = patchedRouteNames(filter).filter((name) => !names.has(name));
      if (!orphans.length) return [];
      return [
        {
          object: { kind: 'EnvoyFilter', namespace: filter.metadata.namespace, name: filter.metadata.name },
          message: `EnvoyFilter ${filter.metadata.namespace}/${filter.metadata.name} limits Envoy route${orphans.length > 1 ? 's' : ''} ${orphans.join(', ')}, which no route carries any more.`,
        },
      ];
    });
  },
);

export const circuitBreakingBlocked = defineChecker(
  {
    code: 'HM5005',
    severity: 'warning',
    area: 'resilience',
    title: "Another owner's DestinationRule keeps a notebook from the defaults' circuit breaking",
    description:
      "The notebook defaults ask for circuit breaking, which hubmesh gives each notebook Service as a DestinationRule of its own. For a host that another owner's DestinationRule already configures, Istio would use only the older rule's traffic policy, so hubmesh leaves that host alone and the notebook has no circuit breaking. Put the connection pool and outlier detection into that rule, or remove it.",
  },
  (snapshot) => {
    const routes = snapshot.virtualServices.filter((vs) => isHubRoute(vs, snapshot.prefix));
    const plan = planCircuitBreakers(routes, snapshot.destinationRules, snapshot.circuitBreaking, {
      namespace: snapshot.namespace,
      clusterDomain: snapshot.clusterDomain,
      prefix: snapshot.prefix,
      autoMtls: snapshot.autoMtls ?? true,
    });
    return plan.blocked.map(({ host, by }) => {
      const [namespace, name] = by.split('/') as [string, string];
      return {
        object: { kind: 'DestinationRule', namespace, name },
        message: `DestinationRule ${by} configures notebook Service ${host}: the notebook defaults' circuit breaking does not reach it.`,
      };
    });
  },
);
