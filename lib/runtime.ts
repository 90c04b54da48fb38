import os from 'node:os';
import type { Logger } from 'pino';
import { resolveDashboardAuth, type DashboardAuth } from './auth/dashboard-auth';
import { askHub, HubRoleRechecker } from './auth/hub-recheck';
import { SessionRevocationStore } from './auth/revocation-store';
import { SessionGuard } from './auth/session-guard';
import { resolveProxyToken, type ProxyToken } from './auth/proxy-token';
import type { HubSignInDeps } from './auth/hub-signin';
import { parseConfig, type Config } from './config';
import { configMapKind, type ConfigMap } from './kube/configmaps';
import { connect, type KubeConnection } from './kube/connection';
import { podCacheShape, podKind, type Pod } from './kube/pods';
import { ResourceStore } from './kube/resource-store';
import { serviceKind, type Service } from './kube/services';
import { activeServicesQuery, activityFromSamples, LastActivityWriter } from './activity/last-activity';
import type { DashboardApiDeps } from './dashboard/api';
import { DashboardState } from './dashboard/state';
import { candidateIdentity, leaderElected, soleLeadership, type Leadership, type LeaderWork } from './kube/leader-election';
import { leaseKind, type Lease } from './kube/leases';
import { PrometheusClient } from './telemetry/prometheus';
import { eventKind, type KubeEvent } from './kube/events';
import { faultExpiry, Janitor, previewExpiry, recordAsJanitor } from './routes/janitor';
import { RateLimitKeeper, type RateLimitSyncDeps } from './routes/rate-limit-sync';
import { NotebookDefaultsStore } from './routes/notebook-defaults-store';
import type { NotebookDefaultsApiDeps } from './routes/notebook-defaults-api';
import type { RouteMetricsDeps } from './routes/route-metrics-api';
import { envoyFilterKind, type EnvoyFilter } from './kube/envoyfilters';
import { otherRouteKind, RouteMigration, type Adopted } from './routes/route-migration';
import { RouteReconciler } from './routes/route-reconciler';
import type { OverlaysApiDeps } from './routes/overlays-api';
import { PreviewService } from './routes/previews';
import type { PreviewsApiDeps } from './routes/previews-api';
import { changePipeline, eventRecorder, type ChangePipeline } from './changes/pipeline';
import { createMeshActions } from './mesh/actions';
import type { MeshApiDeps } from './mesh/api';
import type { DiagnoseDeps } from './diagnose/api';
import { ProbeGate } from './diagnose/probe';
import type { CacheView } from './kube/cache-view';
import { createMeshCaches, meshAroundPods, type MeshCaches } from './mesh/caches';
import { CircuitBreakerKeeper } from './routes/circuit-breaker-sync';
import { destinationRuleKind, type DestinationRule } from './kube/destinationrules';
import { createLogger } from './log';
import { createMetrics, type Metrics } from './metrics';
import { proxyApiHandler, type ProxyApiHandler } from './http/proxy-api';
import { processSlot, RUNTIME_SLOT } from './process-slot';
import { destinationForIp } from './routes/destination';
import { readinessWaiter } from './routes/readiness';
import { RouteService } from './routes/service';
import { parentReference } from './routes/httproute';
import { routeObjectsFor, type RouteObject, type RouteObjects } from './routes/route-objects';
import { managedSelector, notebookMatchName, type Destination, type RenderContext } from './routes/virtualservice';

/**
 * The composition root: the long-lived state of one server process (config, the Kubernetes connection,
 * watch caches), and each feature's service, built once from the narrow dependencies it reads.
 */
export type Runtime = {
  config: Config;
  log: Logger;
  metrics: Metrics;
  connection: KubeConnection;
  proxyToken: ProxyToken;
  /** the hub's routes as stored: VirtualServices or HTTPRoutes (HUBMESH_ROUTE_API) */
  routeObjects: ResourceStore<RouteObject>;
  routes: RouteService;
  /** the hub proxy API, served by hubmesh's HTTP server ahead of Next (server/main.ts) */
  proxyApi: ProxyApiHandler;
  dashboardAuth: DashboardAuth;
  /** checks console sessions (signature, revocation, the hub's role) and revokes them */
  sessions: SessionGuard;
  dashboard: DashboardState;
  features: Features;
  /** Stops the watches, and releases the leader work's Leases (after in-flight writes) so another replica takes over at once. */
  stop(): Promise<void>;
};

/** The console's features: what each one's API functions take. */
export type Features = {
  dashboard: DashboardApiDeps;
  mesh: MeshApiDeps;
  /** "why can't a user reach their server?" and the probe through the gateway */
  diagnose: DiagnoseDeps;
  previews: PreviewsApiDeps;
  overlays: OverlaysApiDeps;
  notebookDefaults: NotebookDefaultsApiDeps;
  routeMetrics: RouteMetricsDeps;
  hubSignIn: HubSignInDeps;
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
  const gateway = config.proxy.gateway ?? `${namespace}/jupyterhub-gateway`;
  const routeKind = routeObjectsFor(config.proxy.routeApi, parentReference(gateway, config.proxy.gatewaySection), config.proxy.clusterDomain);
  const routeObjects = new ResourceStore<RouteObject>(connection.backend(routeKind.kind), namespace, managedSelector(config.proxy.prefix), log.child({ cache: routeKind.kind.plural }));
  const pods = new ResourceStore<Pod>(connection.backend(podKind), namespace, undefined, log.child({ cache: 'pods' }), podCacheShape());
  const services = new ResourceStore<Service>(connection.backend(serviceKind), namespace, undefined, log.child({ cache: 'services' }));
  // local mode has no Istio and no cluster-scoped objects: mesh security is a cluster-mode feature
  const mesh =
    connection.mode === 'cluster'
      ? createMeshCaches({ backend: connection.backend, namespace, rootNamespace: config.mesh.rootNamespace, gatewayNamespace: gateway.split('/')[0]!, gatewayPodNamespace: config.mesh.gatewayNamespace, prefix: config.proxy.prefix, gatewaySelector: config.mesh.gatewaySelector, log })
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
  const notebookDefaults = new NotebookDefaultsStore(connection.backend<ConfigMap>(configMapKind), namespace, config.proxy.prefix, log.child({ cache: 'notebook-defaults' }));
  const caches: Record<string, CacheView> = {
    [routeKind.kind.plural]: routeObjects.cache,
    'notebook-defaults': notebookDefaults.store.cache,
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
  // routes stored as the other backend's kind (HUBMESH_ROUTE_API changed) move over on the leader; cluster mode only
  const migration: RouteMigration | undefined =
    connection.mode === 'cluster'
      ? new RouteMigration({
          previous: { kind: otherRouteKind(routeKind), backend: connection.backend<RouteObject>(otherRouteKind(routeKind)) },
          namespace,
          selector: managedSelector(config.proxy.prefix),
          target: routeKind,
          routes: { adopt: (step, stillWanted): Promise<Adopted> => routes.adopt(step, stillWanted) },
          current: (name) => routeObjects.cache.get(name),
          services: () => services.cache.list(),
          clusterDomain: config.proxy.clusterDomain,
          changes: { record: (actor, record) => changes.record(actor, record) },
          log: log.child({ component: 'route-migration' }),
        })
      : undefined;
  const routes = new RouteService({
    store: routeObjects,
    objects: routeKind,
    previous: migration,
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
      current: (name) => routeObjects.cache.get(name),
      inForce: (object) => routeKind.inForce(object),
      log,
    }),
    log,
  });
  const dashboard = new DashboardState(
    { virtualServices: routeObjects.cache, pods: pods.cache, services: services.cache, mesh: mesh?.all ?? {} },
    {
      namespace,
      clusterDomain: config.proxy.clusterDomain,
      notebookSelector: config.dashboard.notebookSelector,
      istioVersion: config.dashboard.istioVersion,
      mesh: mesh && (() => meshAroundPods(mesh, config.mesh.rootNamespace)),
    },
  );
  for (const cache of Object.values(caches)) cache.start();

  const prometheus = config.mesh.prometheusUrl ? new PrometheusClient({ url: config.mesh.prometheusUrl, timeoutMs: config.mesh.prometheusTimeoutMs }) : undefined;
  const previews = new PreviewService({ routes, store: routeObjects, hostRouting: config.proxy.hostRouting, log });
  notebookDefaults.onChange((defaults) => routes.setNotebookDefaults(defaults));
  const rateLimits = {
    virtualServices: routeObjects.cache,
    defaults: () => ({ limit: notebookDefaults.current().defaults.rateLimit, matchName: notebookMatchName(config.proxy.prefix) }),
    filters: connection.backend<EnvoyFilter>(envoyFilterKind),
    ctx: { name: `${config.proxy.prefix}-rate-limits`, namespace: config.mesh.gatewayNamespace, prefix: config.proxy.prefix, gatewaySelector: config.mesh.gatewaySelector },
  };
  // every change is an audit log line; Events exist in cluster mode only
  const changes = changePipeline({
    events: connection.mode === 'cluster' ? eventRecorder({ events: connection.backend<KubeEvent>(eventKind), namespace, instance: os.hostname() }) : undefined,
    log,
  });
  const leaderships = leaderWork({ config, connection, routes, migration, previews, changes, routeObjects, routeKind, rateLimits, notebookDefaults, mesh, prometheus, log });
  for (const leadership of leaderships) leadership.start();

  const meshFeature: MeshApiDeps = {
    namespace,
    gateway,
    config: { proxy: config.proxy, mesh: config.mesh, notebookSelector: config.dashboard.notebookSelector },
    mesh,
    virtualServices: routeObjects.cache,
    services: services.cache,
    pods: pods.cache,
    prometheus,
    actions: connection.mode === 'cluster' ? createMeshActions({ backend: connection.backend, eventsNamespace: namespace, changes }) : undefined,
    log,
    now: Date.now,
    circuitBreaking: () => notebookDefaults.current().defaults.circuitBreaking,
  };
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
    routeObjects,
    routes,
    proxyApi: proxyApiHandler({ routes, proxyToken, maxBodyBytes: config.proxy.maxBodyBytes, log, metrics }),
    dashboardAuth,
    sessions,
    dashboard,
    features: {
      dashboard: {
        state: dashboard,
        caches: { virtualservices: routeObjects.cache, pods: pods.cache, services: services.cache },
        otherCaches: { ...mesh?.all, 'session-revocations': revocations.cache },
        services: services.cache,
        virtualServices: routeObjects.cache,
        routeData: (path) => routes.getJson(path),
        placement: connection,
        gateway,
        routeApi: config.proxy.routeApi,
        proxyToken,
        notebookSelector: config.dashboard.notebookSelector,
      },
      mesh: meshFeature,
      diagnose: {
        mesh: meshFeature,
        hub: hubOAuth && { apiUrl: hubOAuth.hubApiUrl, token: hubOAuth.clientSecret },
        settings: { hubUrl: hubOAuth?.hubUrl, hosts: config.proxy.hosts, hostRouting: config.proxy.hostRouting },
        gatewayUrl: config.proxy.readiness.gatewayUrl,
        expectedSidecarVersion: () => dashboard.dashboard().expectedSidecarVersion,
        probes: new ProbeGate(),
      },
      previews: { previews, namespace, publicUrl: config.previews.publicUrl, prometheus, changes, log, now: Date.now },
      overlays: { routes, virtualServices: routeObjects.cache, services: services.cache, changes, rateLimits, notebookDefaults: () => notebookDefaults.current().defaults, routeApi: config.proxy.routeApi },
      routeMetrics: { virtualServices: routeObjects.cache, clusterDomain: config.proxy.clusterDomain, prometheus },
      notebookDefaults: { store: notebookDefaults, configMaps: connection.backend<ConfigMap>(configMapKind), virtualServices: routeObjects.cache, changes, routeApi: config.proxy.routeApi },
      hubSignIn: { hubOAuth: config.dashboard.hubOAuth, auth: dashboardAuth, log },
    },
    async stop() {
      await Promise.all(leaderships.map((leadership) => leadership.stop()));
      for (const cache of Object.values(caches)) cache.stop();
    },
  };
}

/**
 * The work one replica does for all, each piece on the replica that holds its `<prefix>-<lease>` Lease (in
 * local mode, the one process): rendering every route again at start-up and mending routes after others'
 * writes; removing expired previews (cluster mode); last_activity from traffic (cluster mode with Prometheus).
 */
function leaderWork(deps: {
  config: Config;
  connection: KubeConnection;
  routes: RouteService;
  migration: RouteMigration | undefined;
  previews: PreviewService;
  changes: ChangePipeline;
  routeObjects: ResourceStore<RouteObject>;
  routeKind: RouteObjects;
  rateLimits: Omit<RateLimitSyncDeps, 'changes'>;
  notebookDefaults: NotebookDefaultsStore;
  mesh: MeshCaches | undefined;
  prometheus: PrometheusClient | undefined;
  log: Logger;
}): Leadership[] {
  const { config, connection, prometheus } = deps;
  const namespace = connection.namespace;
  const lead = (lease: string, component: string, work: (log: Logger) => LeaderWork): Leadership => {
    const log = deps.log.child({ component });
    if (connection.mode === 'local') return soleLeadership(work(log));
    const identity = candidateIdentity();
    return leaderElected(work(log), { backend: connection.backend<Lease>(leaseKind), namespace, name: `${config.proxy.prefix}-${lease}`, identity, log });
  };
  const leaderships = [lead('routes', 'route-reconciler', (log) => new RouteReconciler(deps.routes, log, deps.migration))];
  // rate limits patch the Envoy routes of VirtualServices: HTTPRoutes have none of hubmesh's names to patch
  if (config.proxy.routeApi === 'virtualservice') {
    leaderships.push(
      lead('rate-limits', 'rate-limits', (log) => {
        const keeper = new RateLimitKeeper({ ...deps.rateLimits, virtualServices: deps.routeObjects.cache, changes: deps.changes, log });
        deps.notebookDefaults.onChange(() => keeper.defaultsChanged());
        return keeper;
      }),
    );
  }
  if (connection.mode !== 'cluster') return leaderships;
  if (deps.mesh) {
    const mesh = deps.mesh;
    leaderships.push(
      lead('circuit-breakers', 'circuit-breakers', (log) => {
        const keeper = new CircuitBreakerKeeper({
          virtualServices: deps.routeObjects.cache,
          destinationRules: mesh.destinationRules.hub,
          backend: connection.backend<DestinationRule>(destinationRuleKind),
          circuitBreaking: () => deps.notebookDefaults.current().defaults.circuitBreaking,
          ctx: { namespace, clusterDomain: config.proxy.clusterDomain, prefix: config.proxy.prefix, autoMtls: config.mesh.autoMtls },
          defaultsConfigMap: deps.notebookDefaults.name,
          changes: deps.changes,
          log,
        });
        deps.notebookDefaults.onChange(() => keeper.later());
        return keeper;
      }),
    );
  }
  leaderships.push(
    // the lease keeps the name it had when the janitor removed only previews: replicas of that version and of
    // this one then elect one janitor between them during a rolling upgrade
    lead(
      'preview-janitor',
      'janitor',
      (log) =>
        new Janitor({
          sources: [
            previewExpiry(deps.previews, namespace, deps.routeKind.kind),
            faultExpiry({ routes: deps.routes, virtualServices: deps.routeObjects.cache, routeKind: deps.routeKind.kind, namespace, now: () => new Date(), log }),
          ],
          intervalMs: config.previews.janitorIntervalSeconds * 1000,
          log,
          record: recordAsJanitor(deps.changes),
        }),
    ),
  );
  if (prometheus && config.mesh.activityIntervalSeconds > 0) {
    leaderships.push(
      lead(
        'last-activity',
        'last-activity',
        (log) =>
          new LastActivityWriter({
            store: deps.routeObjects,
            clusterDomain: config.proxy.clusterDomain,
            log,
            intervalMs: config.mesh.activityIntervalSeconds * 1000,
            source: { activeServices: async (windowSeconds) => activityFromSamples(await prometheus.queryVector(activeServicesQuery(namespace, windowSeconds))) },
          }),
      ),
    );
  }
  return leaderships;
}

const runtimeSlot = processSlot<Runtime>(RUNTIME_SLOT);

/** Makes the process's runtime from the environment, once (lib/startup.ts, at server start). Throws ConfigError on bad config. */
export function startRuntime(): Runtime {
  return runtimeSlot.get() ?? runtimeSlot.set(createRuntime(parseConfig(process.env)));
}
