import type { KindDescriptor, KubeObject } from './types';

export const serviceKind: KindDescriptor = { group: '', version: 'v1', kind: 'Service', plural: 'services' };

export type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string };

/** core/v1 Service, as plain JSON: the fields hubmesh reads. */
export type Service = KubeObject & {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; clusterIPs?: string[]; type?: string };
};
