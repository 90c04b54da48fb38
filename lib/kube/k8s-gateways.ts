import type { KindDescriptor, KubeObject } from './types';

/**
 * gateway.networking.k8s.io/v1 Gateway (Kubernetes Gateway API), not Istio's networking.istio.io Gateway
 * (gateways.ts). Under ambient, a Gateway of class istio-waypoint is a waypoint proxy.
 */
export const k8sGatewayKind: KindDescriptor = { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', plural: 'gateways' };

export type K8sGatewayListener = { name: string; port: number; protocol: string; hostname?: string };

export type K8sGateway = KubeObject & {
  spec?: { gatewayClassName?: string; listeners?: K8sGatewayListener[] };
  /** the controller fills addresses in once the Gateway's proxy runs */
  status?: { addresses?: Array<{ type?: string; value: string }>; conditions?: Array<{ type: string; status: string; reason?: string }> };
};
