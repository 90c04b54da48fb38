import { destinationsOf, routeObjectRef, routeObjectsOf, routeObjectWords } from './destinations';
import { defineChecker } from './types';

export const destinationServiceMissing = defineChecker(
  {
    code: 'HM2001',
    severity: 'error',
    area: 'destinations',
    title: 'Destination Service does not exist',
    description:
      'A route sends traffic to a Kubernetes Service host (a short name or <name>.<namespace>.svc.<cluster domain>) for which no Service exists: the gateway has no cluster for it and answers 503. For a hub route, the notebook\'s Service is gone (KubeSpawner deletes it with the server) or was never created (services_enabled is off).',
  },
  (snapshot) =>
    routeObjectsOf(snapshot).flatMap((vs) => {
      const missing = new Map<string, { namespace: string; name: string; host: string }>();
      for (const { destination, serviceKey, observed, service } of destinationsOf(vs, snapshot)) {
        if (serviceKey && observed && !service) missing.set(`${serviceKey.namespace}/${serviceKey.name}`, { ...serviceKey, host: destination.host });
      }
      return [...missing.values()].map(({ namespace, name, host }) => ({
        message: `${routeObjectWords(vs)} routes to ${host}, but Service ${namespace}/${name} does not exist: requests on that route get 503.`,
        object: routeObjectRef(vs),
        related: [{ kind: 'Service', namespace, name }],
      }));
    }),
);
