import { matchesLabelSelector, parseLabelSelector } from '../../kube/label-selector';
import { sidecarInfo } from '../sidecar';
import { ambientPods } from './ambient-pods';
import { isLive } from './destinations';
import { refOf } from './routing';
import { defineChecker } from './types';

export const podWithoutSidecar = defineChecker(
  {
    code: 'HM3003',
    severity: 'warning',
    area: 'workloads',
    title: 'Pod without a sidecar',
    description:
      "A pod without an istio-proxy sidecar is outside the mesh: its traffic is not mTLS-encrypted, and a STRICT PeerAuthentication makes it unreachable from the gateway. Notebook pods are always reported; other pods only when they did not opt out with sidecar.istio.io/inject=false (z2jh's image pullers and scheduler do, on purpose). Restarting a pod after enabling injection gives it a sidecar. A pod enrolled in ambient (istio.io/dataplane-mode=ambient) needs none: ztunnel encrypts its traffic.",
  },
  (snapshot) => {
    const notebook = parseLabelSelector(snapshot.notebookSelector);
    const inAmbient = new Set(ambientPods(snapshot).map(({ pod }) => pod));
    return snapshot.pods
      .filter((pod) => isLive(pod) && !pod.metadata.deletionTimestamp && !inAmbient.has(pod))
      .flatMap((pod) => {
        const sidecar = sidecarInfo(pod);
        const isNotebook = matchesLabelSelector(pod.metadata.labels, notebook);
        if (sidecar.injected || (!isNotebook && sidecar.optedOut)) return [];
        const what = isNotebook ? 'Notebook pod' : 'Pod';
        const why = sidecar.optedOut
          ? 'it opted out with sidecar.istio.io/inject'
          : "it was created while injection was off for it; check the namespace's injection label and restart the pod";
        return [{ message: `${what} ${pod.metadata.namespace}/${pod.metadata.name} has no istio-proxy sidecar (${why}): its traffic is outside the mesh and not mTLS-encrypted.`, object: refOf('Pod', pod) }];
      });
  },
);
