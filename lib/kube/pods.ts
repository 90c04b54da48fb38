import type { KindDescriptor, KubeObject } from './types';

export const podKind: KindDescriptor = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' };

export type Container = { name: string; image?: string; restartPolicy?: string; ports?: Array<{ name?: string; containerPort: number }> };

export type ContainerStatus = {
  name: string;
  ready: boolean;
  restartCount: number;
  image?: string;
  started?: boolean;
  state?: { running?: { startedAt?: string }; waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
};

/** core/v1 Pod, as plain JSON: the fields hubmesh reads. */
export type Pod = KubeObject & {
  spec?: { nodeName?: string; containers: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
};
