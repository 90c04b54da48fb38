import type { ServicePort } from '../../kube/services';
import { destinationsOf, routeObjectRef, routeObjectsOf, routeObjectWords } from './destinations';
import { servicePortProtocol, type PortProtocol } from './protocol';
import { refOf } from './routing';
import { defineChecker } from './types';

function portLabel(port: ServicePort): string {
  return port.name ? `port ${port.port} ("${port.name}")` : `unnamed port ${port.port}`;
}

function consequence(port: ServicePort, { protocol, declaredBy }: PortProtocol): string {
  if (protocol === 'sniffed') {
    return 'declares no protocol, so the proxies sniff each connection: HTTP/1.1 and h2c work, but the first bytes are delayed and a server that speaks first breaks';
  }
  if (protocol === 'UDP') return 'is a UDP port, which the proxies do not carry';
  const source = declaredBy === 'appProtocol' ? `appProtocol "${port.appProtocol}"` : declaredBy === 'name' ? `its name` : `its well-known number`;
  return `is ${protocol} by ${source}, so the destination's sidecar carries the route's HTTP as opaque TCP: no HTTP telemetry on the server side, and AuthorizationPolicy rules on HTTP fields do not match`;
}

export const destinationPortNotHttp = defineChecker(
  {
    code: 'HM2003',
    severity: 'warning',
    area: 'destinations',
    title: 'Destination Service port is not declared HTTP',
    description:
      "Istio takes a Service port's protocol from its appProtocol (http, http2, grpc, kubernetes.io/h2c, ...) or else from its name: `http`, `http-<suffix>`, `http2`, `grpc`, `grpc-web`. An HTTP route to a port declared otherwise is carried as TCP, and an undeclared one relies on protocol sniffing. KubeSpawner names its port `http` when services_enabled is on.",
  },
  (snapshot) =>
    routeObjectsOf(snapshot).flatMap((vs) => {
      const seen = new Set<string>();
      return destinationsOf(vs, snapshot).flatMap(({ destination, service }) => {
        const ports = service?.spec?.ports ?? [];
        const number = destination.port?.number;
        // without a port number, the destination is only well-defined when the Service has one port
        const port = number === undefined ? (ports.length === 1 ? ports[0] : undefined) : ports.find((p) => p.port === number);
        if (!service || !port) return [];
        const protocol = servicePortProtocol(port);
        const id = `${service.metadata.name}:${port.port}`;
        if (protocol.isHttp || seen.has(id)) return [];
        seen.add(id);
        return [
          {
            message: `${routeObjectWords(vs)} routes HTTP to ${portLabel(port)} of Service ${service.metadata.namespace}/${service.metadata.name}, which ${consequence(port, protocol)}. Name the port "http" (or set appProtocol: http).`,
            object: routeObjectRef(vs),
            related: [refOf('Service', service)],
          },
        ];
      });
    }),
);
