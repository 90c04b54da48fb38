import type { KindDescriptor, KubeObject } from './types';

export const configMapKind: KindDescriptor = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps' };

/** core/v1 ConfigMap, as plain JSON: hubmesh keeps string data only. */
export type ConfigMap = KubeObject & { data?: Record<string, string> };
