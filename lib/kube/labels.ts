/** The labels and annotations hubmesh puts on the objects it writes (routes, revocations, audit Events, mesh objects). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  prefix: 'hubmesh.io/prefix',
  kind: 'hubmesh.io/kind',
  user: 'hubmesh.io/user',
  serverName: 'hubmesh.io/server-name',
} as const;

export const ANNOTATIONS = {
  route: 'hubmesh.io/route',
  data: 'hubmesh.io/data',
  /**
   * ISO time of the route's last known activity: set when the route is created or changed, and
   * the one place an activity source (Prometheus telemetry) writes to. GET reports it as is.
   */
  lastActivity: 'hubmesh.io/last-activity',
  /** The route's canary and selective rules as canonical JSON (overlays.ts); absent when it has none. */
  overlays: 'hubmesh.io/overlays',
} as const;
