import { MESH_GATEWAY, resolveGatewayRef } from './hosts';
import { findGateway, gatewayKeyString, vsRef } from './routing';
import { defineChecker } from './types';

export const gatewayMissing = defineChecker(
  {
    code: 'HM1001',
    severity: 'error',
    area: 'routing',
    title: 'VirtualService references a missing Gateway',
    description:
      'istiod drops a binding to a Gateway that does not exist, so no gateway serves the VirtualService\'s routes. A reference is "<namespace>/<name>", or a bare name in the VirtualService\'s own namespace; "mesh" means the sidecars. Gateways in namespaces hubmesh cannot read are not checked.',
  },
  (snapshot) =>
    snapshot.virtualServices.flatMap((vs) =>
      (vs.spec.gateways ?? []).flatMap((written) => {
        const key = resolveGatewayRef(written, vs.metadata.namespace ?? snapshot.namespace);
        if (key === MESH_GATEWAY) return [];
        const { observed, gateway } = findGateway(snapshot, key);
        if (!observed || gateway) return [];
        const name = gatewayKeyString(key);
        const spelled = written === name ? '' : ` (written "${written}")`;
        return [
          {
            message: `VirtualService ${vs.metadata.namespace}/${vs.metadata.name} binds to Gateway ${name}${spelled}, which does not exist: no gateway serves its routes through that binding.`,
            object: vsRef(vs),
            related: [{ kind: 'Gateway', namespace: key.namespace, name: key.name }],
          },
        ];
      }),
    ),
);
