import { INJECTION_LABEL, REVISION_LABEL } from '../../kube/namespaces';
import { namespaceInAmbient } from '../ambient';
import { defineChecker } from './types';

export const namespaceWithoutInjection = defineChecker(
  {
    code: 'HM3002',
    severity: 'warning',
    area: 'workloads',
    title: 'Notebook namespace without sidecar injection',
    description:
      "Istio's injector adds sidecars to pods of a namespace labelled istio-injection=enabled, or istio.io/rev=<revision> when istio-injection is absent. Without either, only pods labelled sidecar.istio.io/inject=true get one; with istio-injection set to anything but enabled, none do. Notebook pods without sidecars are outside the mesh: no mTLS, and STRICT policies refuse the gateway's traffic. A namespace enrolled in ambient (istio.io/dataplane-mode=ambient) needs no injection and is not reported.",
  },
  (snapshot) =>
    snapshot.namespaces.flatMap((ns) => {
      const labels = ns.metadata.labels ?? {};
      const injection = labels[INJECTION_LABEL];
      if (injection === 'enabled' || (injection === undefined && labels[REVISION_LABEL]) || namespaceInAmbient(labels)) return [];
      const name = ns.metadata.name;
      const message =
        injection === undefined
          ? `Namespace ${name} has neither ${INJECTION_LABEL}=enabled nor ${REVISION_LABEL}: notebook pods get no sidecar unless each carries the label sidecar.istio.io/inject=true. Label the namespace: kubectl label namespace ${name} ${INJECTION_LABEL}=enabled.`
          : `Namespace ${name} is labelled ${INJECTION_LABEL}=${injection}, which turns injection off for every pod in it (pod labels cannot opt back in): notebook pods run without sidecars. Set ${INJECTION_LABEL}=enabled, or remove it and set ${REVISION_LABEL}.`;
      return [{ message, object: { kind: 'Namespace', name } }];
    }),
);
