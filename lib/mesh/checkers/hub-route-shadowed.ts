import { hubRouteContests, type Contest } from './contests';
import { vsRef } from './routing';
import { defineChecker } from './types';

const vsName = (vs: Contest['route']) => `${vs.metadata.namespace}/${vs.metadata.name}`;

/** What the contested requests are: all of the route's, or part of them. */
export const takenRequests = (c: Contest) => (c.coverage === 'all' ? 'every request' : 'part of the requests');

export const hubRouteShadowed = defineChecker(
  {
    code: 'HM1003',
    severity: 'error',
    area: 'routing',
    title: "Another VirtualService shadows a hub route",
    description:
      "A VirtualService hubmesh does not manage is bound to the hub's gateway and host, and one of its path rules comes before a hub route in istiod's merged route table (older VirtualServices first; only a bare `prefix: /` is moved last), so it takes that route's requests: the user reaches the other service, or nothing, instead of their server.",
  },
  (snapshot) =>
    hubRouteContests(snapshot).current.map((c) => ({
      message:
        `VirtualService ${vsName(c.foreign)} (not a hub route) matches ${c.matches.join(', ')} on ${c.hosts.join(', ')} and comes before ` +
        `hub route ${c.path} (VirtualService ${vsName(c.route)}) in the gateway's route table, so it takes ${takenRequests(c)} for that route. ` +
        `Narrow its match, or move it to another host or gateway.`,
      object: vsRef(c.foreign),
      related: [vsRef(c.route)],
    })),
);
