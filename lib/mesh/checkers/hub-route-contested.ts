import { hubRouteContests } from './contests';
import { takenRequests } from './hub-route-shadowed';
import { vsRef } from './routing';
import { defineChecker } from './types';

export const hubRouteContested = defineChecker(
  {
    code: 'HM1004',
    severity: 'warning',
    area: 'routing',
    title: 'Another VirtualService will shadow a hub route once it is re-created',
    description:
      "A VirtualService hubmesh does not manage overlaps a hub route on the same gateway host. The route wins today only because it is older; JupyterHub deletes and re-adds a route whenever its server restarts, and the re-created route comes after the other VirtualService.",
  },
  (snapshot) =>
    hubRouteContests(snapshot).latent.map((c) => ({
      message:
        `VirtualService ${c.foreign.metadata.namespace}/${c.foreign.metadata.name} (not a hub route) matches ${c.matches.join(', ')} on ${c.hosts.join(', ')}, ` +
        `overlapping hub route ${c.path} (VirtualService ${c.route.metadata.namespace}/${c.route.metadata.name}). The route comes first only because it is older: ` +
        `when the server restarts and the hub re-creates it, the other VirtualService takes ${takenRequests(c)} for it.`,
      object: vsRef(c.foreign),
      related: [vsRef(c.route)],
    })),
);
