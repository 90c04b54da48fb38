import type { KindDescriptor, KubeObject } from './types';

export const serviceKind: KindDescriptor = { group: '', version: 'v1', kind: 'Service', plural: 'services' };

export type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string };

/** core/v1 Service, as plain JSON: the fields hubmesh reads. */
export type Service = KubeObject & {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; clusterIPs?: string[]; type?: string };
};

/** The Services and their ports, by name: what canaries, rules and previews may route to. */
export function serviceChoices(services: { list(): Service[] }) {
  return services
    .list()
    .map((s) => ({ name: s.metadata.name, ports: (s.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port })) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
