import type { KindDescriptor, KubeObject } from './types';

/** networking.istio.io/v1 Gateway: the ingress gateway's listeners for the hub's hosts. */
export const gatewayKind: KindDescriptor = { group: 'networking.istio.io', version: 'v1', kind: 'Gateway', plural: 'gateways' };

export type GatewayServer = {
  port: { number: number; name: string; protocol: string };
  hosts: string[];
  tls?: { mode?: string; credentialName?: string; httpsRedirect?: boolean };
  name?: string;
};

export type Gateway = KubeObject & {
  spec?: { selector?: Record<string, string>; servers?: GatewayServer[] };
};
