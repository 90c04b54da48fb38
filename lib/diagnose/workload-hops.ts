import type { ServicePort } from '../kube/services';
import { destinationPortMissing } from '../mesh/checkers/destination-port-missing';
import { destinationPortNotHttp } from '../mesh/checkers/destination-port-not-http';
import { destinationServiceMissing } from '../mesh/checkers/destination-service-missing';
import { podsBehind, routeObjectWords } from '../mesh/checkers/destinations';
import { servicePortProtocol } from '../mesh/checkers/protocol';
import { summarizePod } from '../mesh/pod-status';
import type { MeshAroundPods, PodSummary } from '../mesh/types';
import { meshWarningContext, podWarnings } from '../mesh/warnings';
import { hopFrom, link, objectName, type Problem } from './hop-kit';
import { serverWords, withOnlyRoute } from './server';
import type { Evidence, Hop, HopContext } from './types';

const DESTINATION_TITLE = "The route's Service exists, selects the pod, and has an HTTP port";
const POD_TITLE = 'The pod runs and is ready, in the mesh: a ready and current sidecar, or ambient with ztunnel';

const selectorText = (selector: Record<string, string> | undefined) =>
  Object.entries(selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || 'none';

/** The Service port a destination names: its number, or the only port when it names none. */
export function destinationPort(ports: readonly ServicePort[], number: number | undefined): ServicePort | undefined {
  return number === undefined ? (ports.length === 1 ? ports[0] : undefined) : ports.find((p) => p.port === number);
}

/**
 * Hop 3: the Service the route sends to exists, has the route's port, declares it HTTP (a port name `http`,
 * `http-*`, or appProtocol http), and selects the server's pod. The destination checkers of the validations judge
 * the route alone, so their words are the hop's.
 */
export function destinationHop(ctx: HopContext): Hop {
  const { route, destination, serviceKey, service, pod } = ctx.objects;
  const base = { id: 'destination' as const, title: DESTINATION_TITLE };
  if (!route) return { ...base, status: 'unknown', summary: 'There is no route, so no destination to check.', evidence: [] };
  if (!destination) return { ...base, status: 'fail', summary: `${routeObjectWords(route.object)} has no destination for the route's own rule.`, evidence: [], fix: 'POST the route again through the proxy API so that hubmesh renders it afresh.' };
  const evidence: Evidence[] = [{ label: 'Destination', value: `${destination.host}:${destination.port}` }];
  if (!serviceKey || !ctx.snapshot.observedNamespaces.includes(serviceKey.namespace)) {
    return { ...base, status: 'unknown', summary: `The destination ${destination.host} is not a Service of a namespace hubmesh watches, so hubmesh cannot check it.`, evidence };
  }
  const routeOnly = withOnlyRoute(ctx.snapshot, route.object);
  const missing = destinationServiceMissing.check(routeOnly)[0];
  if (missing || !service) {
    return {
      ...base,
      status: 'fail',
      summary: missing?.message ?? `Service ${serviceKey.namespace}/${serviceKey.name} does not exist.`,
      evidence: [...evidence, { label: 'Service', value: `${serviceKey.namespace}/${serviceKey.name} (missing)` }],
      fix: `Restart the server from the hub: KubeSpawner creates Service ${serviceKey.name} with the pod (services_enabled). Or create that Service, selecting the pod's labels, with port ${destination.port} named "http".`,
    };
  }
  const ports = service.spec?.ports ?? [];
  evidence.push({ label: 'Service', value: objectName(service), ref: link('Service', service) }, { label: 'Selector', value: selectorText(service.spec?.selector) });
  const portMissing = destinationPortMissing.check(routeOnly)[0];
  if (portMissing) {
    return {
      ...base,
      status: 'fail',
      summary: portMissing.message,
      evidence: [...evidence, { label: 'Ports', value: ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ''}`).join(', ') || 'none' }],
      fix: `Add port ${destination.port} to Service ${objectName(service)}, or have the hub's target name one of its ports.`,
    };
  }
  const port = destinationPort(ports, destination.port);
  const protocol = port && servicePortProtocol(port);
  if (port) evidence.push({ label: 'Port', value: `${port.port}${port.name ? ` "${port.name}"` : ' (unnamed)'}${port.appProtocol ? ` appProtocol ${port.appProtocol}` : ''}: ${protocol!.protocol === 'sniffed' ? 'protocol sniffed' : protocol!.protocol}` });
  const behind = podsBehind(service, ctx.snapshot.pods);
  evidence.push({ label: 'Pods selected', value: behind.map((p) => p.metadata.name).join(', ') || 'none' });
  const problems: Problem[] = [];
  const notHttp = destinationPortNotHttp.check(routeOnly)[0];
  if (notHttp && protocol) {
    problems.push({
      // a port declared for another protocol carries the route's HTTP as opaque TCP; an undeclared one is sniffed, which mostly works
      status: protocol.protocol === 'sniffed' ? 'warn' : 'fail',
      summary: notHttp.message,
      fix: `Name port ${port!.port} of Service ${objectName(service)} "http" (or "http-<anything>"), or set its appProtocol to http.`,
    });
  }
  if (behind.length === 0) {
    problems.push({
      status: 'fail',
      summary: `Service ${objectName(service)} selects no running pod (selector ${selectorText(service.spec?.selector)})${pod ? `, while ${serverWords(ctx.objects.user, ctx.objects.server)} runs in pod ${pod.metadata.name}` : ''}: requests get 503 "no healthy upstream".`,
      fix: pod ? `Make the Service's selector match pod ${pod.metadata.name}'s labels, or restart the server from the hub.` : 'Start the server from the hub: its pod is gone.',
    });
  }
  return hopFrom(base, problems, evidence, `Service ${objectName(service)} exists, selects ${behind.map((p) => p.metadata.name).join(', ')}, and port ${port?.port ?? destination.port} is declared ${protocol?.protocol ?? 'HTTP'}.`);
}

/** The pod's data plane in words: its sidecar, or ambient's ztunnel and waypoint, or neither. */
function dataplaneWords({ dataplane, sidecar, ambient }: PodSummary): string {
  if (dataplane === 'sidecar') return `istio-proxy ${sidecar.version ?? '(untagged)'}${sidecar.native ? ' (native)' : ''}, ${sidecar.ready ? 'ready' : 'not ready'}`;
  if (dataplane === 'ambient') {
    const waypoint = ambient.waypoint ? `, waypoint ${ambient.waypoint.namespace}/${ambient.waypoint.name}${ambient.waypoint.found ? '' : ' (not found)'}` : '';
    return `ambient (ztunnel), ${ambient.redirected ? 'redirected' : 'not redirected'}${waypoint}`;
  }
  const optedOut = [sidecar.optedOut && 'opted out of injection', ambient.optedOut && 'opted out of ambient'].filter(Boolean).join(', ');
  return `none${optedOut ? ` (${optedOut})` : ''}`;
}

/**
 * Hop 4: the server's pod is Running with every container ready and in the mesh: an istio-proxy sidecar that is
 * ready and runs the expected version, or enrolled in ambient and redirected to ztunnel, with a waypoint where an
 * L7 policy needs one (the pods page's warnings for the pod).
 */
export function podHop(ctx: HopContext): Hop {
  const { pod, user, server, route } = ctx.objects;
  const base = { id: 'pod' as const, title: POD_TITLE };
  if (!pod) {
    return {
      ...base,
      status: 'fail',
      summary: `No pod runs ${serverWords(user, server)}${route ? ', though its route exists: requests get 503' : ''}.`,
      evidence: [],
      fix: "Start the server from the hub. If it does not come up, read the pod's events (kubectl describe pod) and the hub's log of the spawn.",
    };
  }
  const mesh: MeshAroundPods = {
    namespaces: ctx.snapshot.namespaces,
    waypoints: [...(ctx.snapshot.waypoints ?? [])],
    authorizationPolicies: ctx.snapshot.authorizationPolicies,
    rootNamespace: ctx.snapshot.rootNamespace,
  };
  const namespaceLabels = mesh.namespaces.find((ns) => ns.metadata.name === pod.metadata.namespace)?.metadata.labels;
  const summary = summarizePod(pod, { namespaceLabels, waypoints: mesh.waypoints });
  const { sidecar } = summary;
  const evidence: Evidence[] = [
    { label: 'Pod', value: objectName(pod), ref: link('Pod', pod) },
    { label: 'Status', value: `${summary.status}, ${summary.readyContainers}/${summary.totalContainers} containers ready${summary.restarts ? `, ${summary.restarts} restarts` : ''}` },
    { label: 'Data plane', value: dataplaneWords(summary) },
  ];
  if (ctx.expectedSidecarVersion) evidence.push({ label: 'Expected sidecar', value: ctx.expectedSidecarVersion });
  if (summary.phase !== 'Running' || summary.status === 'Terminating') {
    return {
      ...base,
      status: 'fail',
      summary: `Pod ${objectName(pod)} is ${summary.status}, not running: the server cannot answer.`,
      evidence,
      fix:
        summary.status === 'Terminating'
          ? 'The server is stopping; start it again from the hub once it has stopped.'
          : "Read the pod's events (kubectl describe pod) and its containers' logs: it may wait for a node, an image or a volume, or keep crashing.",
    };
  }
  const problems: Problem[] = [];
  const sidecarNotReady = sidecar.injected && !sidecar.ready ? 1 : 0;
  if (summary.readyContainers < summary.totalContainers - sidecarNotReady) {
    problems.push({
      status: 'fail',
      summary: `Pod ${objectName(pod)} runs, but only ${summary.readyContainers} of its ${summary.totalContainers} containers are ready: the notebook fails its readiness probe.`,
      fix: "Read the notebook container's log: the server has not started listening, or crashed.",
    });
  }
  for (const warning of podWarnings(summary, { expectedVersion: ctx.expectedSidecarVersion, hasRoute: true, ...meshWarningContext(pod, summary, mesh) })) {
    if (warning.code === 'not-enrolled') {
      problems.push({
        status: 'fail',
        summary: `Pod ${objectName(pod)} is ${warning.message}.`,
        fix: summary.ambient.optedOut
          ? 'Remove istio.io/dataplane-mode=none from the pod (KubeSpawner: extra_labels) and restart the server.'
          : 'Enroll the namespace in ambient (the Mesh page\'s "Enroll the namespace in ambient" action), or enable sidecar injection and restart the server so the injector adds istio-proxy.',
      });
    } else if (warning.code === 'ztunnel-not-redirecting') {
      problems.push({ status: 'fail', summary: `Pod ${objectName(pod)}: ${warning.message}.`, fix: 'Check that istio-cni and ztunnel run on the pod\'s node (kubectl -n istio-system get pods -o wide), then restart the server.' });
    } else if (warning.code === 'waypoint-missing') {
      problems.push({ status: 'warn', summary: `Pod ${objectName(pod)}: ${warning.message}.`, fix: 'Deploy a waypoint (istioctl waypoint apply -n <namespace> --enroll-namespace) and attach the L7 policy to it with targetRefs.' });
    } else if (warning.code === 'no-sidecar') {
      problems.push({
        status: 'fail',
        summary: `Pod ${objectName(pod)} has ${warning.message}.`,
        fix: sidecar.optedOut
          ? 'Remove sidecar.istio.io/inject=false from the pod (KubeSpawner: extra_labels or extra_annotations) and restart the server.'
          : 'Enable injection in the namespace (the Mesh page\'s "Injection" action), then restart the server so the injector adds istio-proxy.',
      });
    } else if (warning.code === 'sidecar-not-ready') {
      problems.push({
        status: 'fail',
        summary: `Pod ${objectName(pod)}: ${warning.message}.`,
        fix: "Read the istio-proxy container's log: a sidecar that stays unready usually cannot reach istiod (a NetworkPolicy egress rule, see the access hop).",
      });
    } else if (warning.code === 'sidecar-version-skew') {
      problems.push({ status: 'warn', summary: `Pod ${objectName(pod)}: ${warning.message}.`, fix: 'Restart the server from the hub so the injector gives it the current istio-proxy.' });
    }
  }
  const inMesh = summary.dataplane === 'ambient' ? "in ambient, redirected to ztunnel" : `with a ready istio-proxy${sidecar.version ? ` ${sidecar.version}` : ''}`;
  return hopFrom(base, problems, evidence, `Pod ${objectName(pod)} is Running and ready, ${inMesh}.`);
}
