import { routeFromObject } from '../../routes/virtualservice';
import { destinationsOf, hubRouteObjects, podsBehind, routeObjectRef, routeObjectWords } from './destinations';
import { refOf } from './routing';
import { defineChecker } from './types';

export const routeWithoutPod = defineChecker(
  {
    code: 'HM2004',
    severity: 'warning',
    area: 'destinations',
    title: "Hub route whose pod is gone",
    description:
      "A hub route's Service selects no running pod: the notebook server's pod was deleted or finished while its route stayed. Requests get 503 \"no healthy upstream\" until the hub removes the route (it does when it notices the server stopped) or the server is started again.",
  },
  (snapshot) =>
    hubRouteObjects(snapshot).flatMap((route) => {
      const path = routeFromObject(route)!.path;
      const services = new Map(
        destinationsOf(route, snapshot).flatMap(({ service }) => (service?.spec?.selector && Object.keys(service.spec.selector).length ? [[service.metadata.name, service] as const] : [])),
      );
      return [...services.values()]
        .filter((service) => podsBehind(service, snapshot.pods).length === 0)
        .map((service) => {
          const selector = Object.entries(service.spec!.selector!).map(([k, v]) => `${k}=${v}`).join(',');
          return {
            message: `Hub route ${path} (${routeObjectWords(route)}) sends traffic to Service ${service.metadata.namespace}/${service.metadata.name}, whose selector ${selector} matches no running pod: the server's pod is gone, and requests get 503.`,
            object: routeObjectRef(route),
            related: [refOf('Service', service)],
          };
        });
    }),
);
