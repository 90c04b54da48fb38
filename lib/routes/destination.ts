import type { Pod } from '../kube/pods';
import type { Service, ServicePort } from '../kube/services';
import type { Destination } from './virtualservice';

export const SERVICES_ENABLED_HINT =
  'a VirtualService cannot route to a bare pod IP. Give each notebook server a Service: set c.KubeSpawner.services_enabled = True ' +
  '(z2jh: hub.config.KubeSpawner.services_enabled: true), so the hub sends http://<service>.<namespace>.svc.cluster.local:<port> targets';

export const serviceHost = (service: Service, clusterDomain: string) =>
  `${service.metadata.name}.${service.metadata.namespace}.svc.${clusterDomain}`;

function selects(service: Service, pod: Pod): boolean {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** Whether traffic to this Service port reaches targetPort on the pod (numeric or named targetPort, or the port itself). */
function reaches(port: ServicePort, pod: Pod, targetPort: number): boolean {
  const tp = port.targetPort ?? port.port;
  if (typeof tp === 'number') return tp === targetPort;
  if (/^\d+$/.test(tp)) return Number(tp) === targetPort;
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) =>
    (c.ports ?? []).some((p) => p.name === tp && p.containerPort === targetPort),
  );
}

const byName = (a: Service, b: Service) => (a.metadata.name < b.metadata.name ? -1 : 1);
const httpFirst = (a: ServicePort, b: ServicePort) => Number(b.name === 'http') - Number(a.name === 'http');

/**
 * The Service behind an IP target: a Service whose cluster IP it is, or one that selects the
 * running pod with that IP and has a port reaching the target port. Deterministic when several
 * match (by name, the port named "http" first).
 */
export function destinationForIp(ip: string, port: number, pods: Pod[], services: Service[], clusterDomain: string): Destination | undefined {
  const sorted = [...services].sort(byName);
  for (const service of sorted) {
    const ips = service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []);
    if (ips.includes(ip) && service.spec?.ports?.some((p) => p.port === port)) {
      return { host: serviceHost(service, clusterDomain), port };
    }
  }
  const pod = pods.find((p) => p.status?.podIP === ip && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  if (!pod) return undefined;
  for (const service of sorted) {
    if (service.metadata.namespace !== pod.metadata.namespace || !selects(service, pod)) continue;
    const servicePort = [...(service.spec?.ports ?? [])].sort(httpFirst).find((p) => reaches(p, pod, port));
    if (servicePort) return { host: serviceHost(service, clusterDomain), port: servicePort.port };
  }
  return undefined;
}
