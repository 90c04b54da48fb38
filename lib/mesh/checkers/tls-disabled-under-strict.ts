import type { DestinationRule, TrafficPolicy } from '../../kube/destinationrules';
import { podsBehind, selects } from './destinations';
import { hostIntersection, resolveShortName, serviceOfHost } from './hosts';
import { refOf } from './routing';
import { defineChecker, type ObjectRef, type ValidationSnapshot } from './types';

/** Where a DestinationRule turns client TLS off: its traffic policy, a port, a subset, a subset's port. */
function disablingPlaces(dr: DestinationRule): string[] {
  const places = (policy: TrafficPolicy | undefined, scope: string) => [
    ...(policy?.tls?.mode === 'DISABLE' ? [scope] : []),
    ...(policy?.portLevelSettings ?? []).filter((p) => p.tls?.mode === 'DISABLE').map((p) => `${scope === 'trafficPolicy' ? '' : `${scope} `}port ${p.port?.number ?? '?'}`),
  ];
  return [...places(dr.spec?.trafficPolicy, 'trafficPolicy'), ...(dr.spec?.subsets ?? []).flatMap((s) => places(s.trafficPolicy, `subset ${s.name}`))];
}

/** STRICT PeerAuthentications with a selector that pick pods behind the rule's Service (a workload policy overrides its namespace's). */
function strictWorkloadPolicies(host: string, dr: DestinationRule, snapshot: ValidationSnapshot) {
  const key = serviceOfHost(host, dr.metadata.namespace ?? snapshot.namespace, snapshot.clusterDomain);
  const service = key && snapshot.services.find((s) => s.metadata.name === key.name && s.metadata.namespace === key.namespace);
  if (!service) return [];
  const pods = podsBehind(service, snapshot.pods);
  return snapshot.peerAuthentications.filter(
    (pa) =>
      pa.spec?.mtls?.mode === 'STRICT' &&
      pa.metadata.namespace === service.metadata.namespace &&
      pods.some((pod) => selects(pa.spec?.selector?.matchLabels, pod)),
  );
}

export const tlsDisabledUnderStrict = defineChecker(
  {
    code: 'HM4001',
    severity: 'error',
    area: 'security',
    title: 'DestinationRule disables TLS towards STRICT mTLS servers',
    description:
      "A DestinationRule with tls.mode DISABLE makes clients that use it (sidecars and the ingress gateway) send plaintext, even with auto mTLS on. Servers under a STRICT PeerAuthentication accept only mTLS and reset those connections: the gateway answers 503. Use ISTIO_MUTUAL, or remove the tls setting and let auto mTLS choose.",
  },
  (snapshot) =>
    snapshot.destinationRules.flatMap((dr) => {
      const places = disablingPlaces(dr);
      const rawHost = dr.spec?.host;
      if (places.length === 0 || !rawHost) return [];
      const host = resolveShortName(rawHost, dr.metadata.namespace ?? snapshot.namespace, snapshot.clusterDomain);
      const strictNamespaces = Object.entries(snapshot.effectiveMtls)
        .filter(([ns, mode]) => mode === 'STRICT' && hostIntersection([host], [`*.${ns}.svc.${snapshot.clusterDomain}`]).length > 0)
        .map(([ns]) => ns)
        .sort();
      const workloadPolicies = strictWorkloadPolicies(host, dr, snapshot).filter((pa) => !strictNamespaces.includes(pa.metadata.namespace ?? ''));
      if (strictNamespaces.length === 0 && workloadPolicies.length === 0) return [];
      const requirers = [
        ...strictNamespaces.map((ns) => `namespace ${ns} (STRICT)`),
        ...workloadPolicies.map((pa) => `PeerAuthentication ${pa.metadata.namespace}/${pa.metadata.name} (STRICT for the Service's pods)`),
      ];
      const related: ObjectRef[] = [
        ...strictNamespaces.map((name) => ({ kind: 'Namespace', name })),
        ...workloadPolicies.map((pa) => refOf('PeerAuthentication', pa)),
      ];
      return [
        {
          message:
            `DestinationRule ${dr.metadata.namespace}/${dr.metadata.name} sets tls.mode DISABLE (${places.join(', ')}) for ${rawHost}, but ${requirers.join(' and ')} ` +
            `requires mTLS: clients using this rule send plaintext, which the servers' sidecars reject (503). Set ISTIO_MUTUAL or remove the tls setting.`,
          object: refOf('DestinationRule', dr),
          related,
        },
      ];
    }),
);
