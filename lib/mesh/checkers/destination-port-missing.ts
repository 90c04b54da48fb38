import { destinationsOf, routeObjectRef, routeObjectsOf, routeObjectWords } from './destinations';
import { refOf } from './routing';
import { defineChecker } from './types';

export const destinationPortMissing = defineChecker(
  {
    code: 'HM2002',
    severity: 'error',
    area: 'destinations',
    title: 'Destination port is not a port of the Service',
    description:
      "A route's destination names a port number the Service does not expose; there is no such cluster, and requests get 503. Route to one of the Service's `port` values (not its targetPort).",
  },
  (snapshot) =>
    routeObjectsOf(snapshot).flatMap((vs) => {
      const seen = new Set<string>();
      return destinationsOf(vs, snapshot).flatMap(({ destination, service }) => {
        const number = destination.port?.number;
        const ports = service?.spec?.ports ?? [];
        if (!service || number === undefined || ports.some((p) => p.port === number)) return [];
        const id = `${service.metadata.name}:${number}`;
        if (seen.has(id)) return [];
        seen.add(id);
        const exposed = ports.map((p) => p.port).join(', ') || 'none';
        return [
          {
            message: `${routeObjectWords(vs)} routes to port ${number} of Service ${service.metadata.namespace}/${service.metadata.name}, which exposes ports ${exposed}: requests on that route get 503.`,
            object: routeObjectRef(vs),
            related: [refOf('Service', service)],
          },
        ];
      });
    }),
);
