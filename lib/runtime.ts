import type { Logger } from 'pino';
import { resolveDashboardAuth, type DashboardAuth } from './auth/dashboard-auth';
import { askHub, HubRoleRechecker } from './auth/hub-recheck';
import { SessionRevocationStore } from './auth/revocation-store';
import { SessionGuard } from './auth/session-guard';
import { resolveProxyToken, type ProxyToken } from './auth/proxy-token';
import { parseConfig, type Config } from './config';
import { configMapKind, type ConfigMap } from './kube/configmaps';
import { connect, type KubeConnection } from './kube/connection';
import { podKind, slimPod, type Pod } from './kube/pods';
import { ResourceStore } from './kube/resource-store';
import { serviceKind, type Service } from './kube/services';
import { virtualServiceKind, type VirtualService } from './kube/virtualservices';
import { activeServicesQuery, activityFromSamples, LastActivityWriter } from './activity/last-activity';
import { DashboardState } from './dashboard/state';
import { candidateIdentity, LeaderElector } from './kube/leader-election';
import { leaseKind, type Lease } from './kube/leases';
import type { ResourceBackend } from './kube/types';
import { PrometheusClient } from './telemetry/prometheus';
import { eventKind, type KubeEvent } from './kube/events';
import { previewJanitor } from './routes/preview-janitor';
import { RouteReconciler, routeReconcilerElector } from './routes/route-reconciler';
import { PreviewService } from './routes/previews';
import type { CacheView } from './kube/cache-view';
import { createMeshCaches, type MeshCaches } from './mesh/caches';
import { createLogger } from './log';
import { createMetrics, type Metrics } from './metrics';
import { destinationForIp } from './routes/destination';
import { readinessWaiter } from './routes/readiness';
import { RouteService } from './routes/service';
import { managedSelector, type Destination, type RenderContext } from './routes/virtualservice';

/** The long-lived state of one server process: config, the Kubernetes connection, watch caches and services. */
export type Runtime = {
  config: Config;
  log: Logger;
  metrics: Metrics;
  connection: KubeConnection;
  proxyToken: ProxyToken;
  virtualServices: ResourceStore<VirtualService>;
  pods: ResourceStore<Pod>;
  services: ResourceStore<Service>;
  routes: RouteService;
  dashboardAuth: DashboardAuth;
  /** checks console sessions (signature, revocation, the hub's role) and revokes them */
  sessions: SessionGuard;
  /** the ended sessions every replica shares (the guard's source) */
  sessionRevocations: SessionRevocationStore;
  dashboard: DashboardState;
  /** cluster mode only */
  mesh: MeshCaches | undefined;
  /** Istio's Prometheus, when HUBMESH_PROMETHEUS_URL is set */
  prometheus: PrometheusClient | undefined;
  /** who writes last_activity from traffic (cluster mode with Prometheus): the replica holding the Lease */
  activityElector: LeaderElector | undefined;
  previews: PreviewService;
  /** who removes expired previews (cluster mode): the replica holding the Lease */
  previewJanitorElector: LeaderElector | undefined;
  /** who renders every route again at start-up and mends routes after others' writes (cluster mode): the replica holding the Lease */
  routeReconcilerElector: LeaderElector | undefined;
  /** "<namespace>/<name>" of the Istio Gateway routes bind to */
  gateway: string;
  startedAt: Date;
  /** Stops the watches, and releases the activity Lease (after in-flight writes) so another replica takes over at once. */
  stop(): Promise<void>;
};

const IP_RESOLVE_WAIT_MS = 2000;

export function createRuntime(config: Config, log: Logger = createLogger(config)): Runtime {
  const connection = connect(config);
  const dataDir = connection.mode === 'local' ? connection.dataDir : undefined;
  const proxyToken = resolveProxyToken(config, connection.mode, dataDir);
  const dashboardAuth = resolveDashboardAuth(config, connection.mode, dataDir);
  const metrics = createMetrics();
  if (connection.mode === 'cluster') {
    connection.rest.observer = (verb, status) => {
      metrics.kubeRequests.inc({ verb, code: String(status) });
      if (status === 0 || status >= 400) metrics.kubeErrors.inc({ verb, code: String(status) });
    };
  }
  const namespace = connection.namespace;
  const virtualServices = new ResourceStore<VirtualService>(
    connection.backend(virtualServiceKind),
    namespace,
    managedSelector(config.proxy.prefix),
    log.child({ cache: 'virtualservices' }),
  );
  const pods = new ResourceStore<Pod>(connection.backend(podKind), namespace, undefined, log.child({ cache: 'pods' }), slimPod);
  const services = new ResourceStore<Service>(connection.backend(serviceKind), namespace, undefined, log.child({ cache: 'services' }));
  const gateway = config.proxy.gateway ?? `${namespace}/jupyterhub-gateway`;
  // local mode has no Istio and no cluster-scoped objects: mesh security is a cluster-mode feature
  const mesh =
    connection.mode === 'cluster'
      ? createMeshCaches({ backend: connection.backend, namespace, rootNamespace: config.mesh.rootNamespace, gatewayNamespace: gateway.split('/')[0]!, log })
      : undefined;
  const revocations = new SessionRevocationStore(connection.backend<ConfigMap>(configMapKind), namespace, config.proxy.prefix, log.child({ cache: 'session-revocations' }));
  const hubOAuth = config.dashboard.hubOAuth;
  const sessions = new SessionGuard({
    secret: dashboardAuth.sessionSecret,
    revocations,
    rechecker:
      hubOAuth &&
      new HubRoleRechecker({
        intervalMs: config.dashboard.hubRecheckSeconds * 1000,
        ask: askHub(hubOAuth),
        onEnded: async (session) => void (await revocations.revoke(session)),
        log: log.child({ component: 'sessions' }),
      }),
  });
  const caches: Record<string, CacheView> = {
    virtualservices: virtualServices.cache,
    pods: pods.cache,
    services: services.cache,
    'session-revocations': revocations.cache,
    ...mesh?.all,
  };
  metrics.setCacheProbe(() => Object.entries(caches).map(([kind, c]) => ({ kind, objects: c.size, synced: c.isSynced })));

  const ctx: RenderContext = {
    namespace,
    prefix: config.proxy.prefix,
    gateway,
    hosts: config.proxy.hosts,
    hostRouting: config.proxy.hostRouting,
    routeTimeout: config.proxy.routeTimeout,
    clusterDomain: config.proxy.clusterDomain,
  };
  const resolveIp = async (ip: string, port: number): Promise<Destination | undefined> => {
    // local mode has no pods or Services; the route keeps the address it was given
    if (connection.mode === 'local') return { host: ip, port };
    // a pod or Service made just before the hub's POST may still be on its way through the watch
    const deadline = Date.now() + IP_RESOLVE_WAIT_MS;
    for (;;) {
      const found = destinationForIp(ip, port, pods.cache.list(), services.cache.list(), config.proxy.clusterDomain);
      if (found || Date.now() >= deadline) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const routes = new RouteService({
    store: virtualServices,
    // overlays may route only to Services that exist (local mode has none to check against)
    services: connection.mode === 'cluster' ? () => services.cache.list() : undefined,
    ctx,
    clusterDomain: config.proxy.clusterDomain,
    maxRouteDataBytes: config.proxy.maxRouteDataBytes,
    resolveIp,
    waitUntilServed: readinessWaiter({
      ...config.proxy.readiness,
      hosts: config.proxy.hosts,
      hostRouting: config.proxy.hostRouting,
      current: (name) => virtualServices.cache.get(name),
      log,
    }),
    log,
  });
  const dashboard = new DashboardState(
    { virtualServices: virtualServices.cache, pods: pods.cache, services: services.cache, mesh: mesh?.all ?? {} },
    { namespace, clusterDomain: config.proxy.clusterDomain, notebookSelector: config.dashboard.notebookSelector, istioVersion: config.dashboard.istioVersion },
  );
  for (const cache of Object.values(caches)) cache.start();

  const prometheus = config.mesh.prometheusUrl ? new PrometheusClient({ url: config.mesh.prometheusUrl, timeoutMs: config.mesh.prometheusTimeoutMs }) : undefined;
  const activityElector =
    connection.mode === 'cluster' && prometheus && config.mesh.activityIntervalSeconds > 0
      ? lastActivityFromTraffic({ config, namespace, virtualServices, prometheus, backend: connection.backend<Lease>(leaseKind), log })
      : undefined;
  activityElector?.start();

  const previews = new PreviewService({ routes, store: virtualServices, hostRouting: config.proxy.hostRouting, log });
  const previewJanitorElector =
    connection.mode === 'cluster'
      ? previewJanitor({
          previews,
          backend: connection.backend<Lease>(leaseKind),
          eventsBackend: connection.backend<KubeEvent>(eventKind),
          namespace,
          prefix: config.proxy.prefix,
          intervalMs: config.previews.janitorIntervalSeconds * 1000,
          log: log.child({ component: 'preview-janitor' }),
          identity: candidateIdentity(),
        })
      : undefined;
  previewJanitorElector?.start();

  const routeReconciler =
    connection.mode === 'cluster'
      ? routeReconcilerElector({ routes, backend: connection.backend<Lease>(leaseKind), namespace, prefix: config.proxy.prefix, identity: candidateIdentity(), log })
      : undefined;
  routeReconciler?.start();
  // local mode has one process: it leads for as long as it runs
  const localLeadership = connection.mode === 'local' ? new AbortController() : undefined;
  if (localLeadership) new RouteReconciler(routes, log.child({ component: 'route-reconciler' })).lead(localLeadership.signal);

  const common = { namespace, prefix: config.proxy.prefix, gateway: ctx.gateway, proxyAuth: proxyToken.source };
  if (connection.mode === 'cluster') {
    log.info({ mode: 'cluster', server: connection.server, context: connection.context, ...common }, 'hubmesh started in cluster mode');
  } else {
    log.info({ mode: 'local', dataDir: connection.dataDir, ...common }, 'hubmesh started in local mode (embedded store, no cluster)');
    if (proxyToken.source === 'generated') log.info({ tokenFile: `${connection.dataDir}/proxy-auth-token` }, 'proxy API token generated for local mode');
    if (proxyToken.source === 'disabled') log.warn('HUBMESH_DEV_NO_AUTH: the proxy API accepts requests without a token');
    if (dashboardAuth.adminTokenSource === 'generated') log.info({ tokenFile: `${connection.dataDir}/admin-token` }, 'admin sign-in token generated for local mode');
  }
  if (dashboardAuth.adminTokenSource === 'unset') log.warn('HUBMESH_ADMIN_TOKEN is not set: nobody can sign in to the console');
  if (dashboardAuth.ephemeralSecret) log.warn('HUBMESH_SESSION_SECRET is not set: sessions end when this process does and are not shared between replicas');
  return {
    config,
    log,
    metrics,
    connection,
    proxyToken,
    virtualServices,
    pods,
    services,
    routes,
    dashboardAuth,
    sessions,
    sessionRevocations: revocations,
    dashboard,
    mesh,
    prometheus,
    activityElector,
    previews,
    previewJanitorElector,
    routeReconcilerElector: routeReconciler,
    gateway: ctx.gateway,
    startedAt: new Date(),
    async stop() {
      localLeadership?.abort();
      await Promise.all([activityElector?.stop(), previewJanitorElector?.stop(), routeReconciler?.stop()]);
      for (const cache of Object.values(caches)) cache.stop();
    },
  };
}

/**
 * Routes' last_activity from real traffic: on the replica that holds the `<prefix>-last-activity` Lease, every
 * interval, the destination Services that got requests (Prometheus) move their routes' annotation forward.
 */
function lastActivityFromTraffic(deps: {
  config: Config;
  namespace: string;
  virtualServices: ResourceStore<VirtualService>;
  prometheus: PrometheusClient;
  backend: ResourceBackend<Lease>;
  log: Logger;
}): LeaderElector {
  const { config, namespace, prometheus } = deps;
  const log = deps.log.child({ component: 'last-activity' });
  const writer = new LastActivityWriter({
    store: deps.virtualServices,
    clusterDomain: config.proxy.clusterDomain,
    log,
    intervalMs: config.mesh.activityIntervalSeconds * 1000,
    source: { activeServices: async (windowSeconds) => activityFromSamples(await prometheus.queryVector(activeServicesQuery(namespace, windowSeconds))) },
  });
  return new LeaderElector({
    backend: deps.backend,
    namespace,
    name: `${config.proxy.prefix}-last-activity`,
    identity: candidateIdentity(),
    log,
    onStartedLeading: (signal) => writer.lead(signal),
    onStoppedLeading: () => writer.idle(),
  });
}

// Kept on globalThis so that Next's dev-mode module reloads reuse one set of watches.
const holder = globalThis as typeof globalThis & { __hubmeshRuntime?: Runtime };

/** The process's runtime, created from the environment on first use. Throws ConfigError on bad config. */
export function getRuntime(): Runtime {
  holder.__hubmeshRuntime ??= createRuntime(parseConfig(process.env));
  return holder.__hubmeshRuntime;
}
