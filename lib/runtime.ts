import type { Logger } from 'pino';
import { parseConfig, type Config } from './config';
import { connect, type KubeConnection } from './kube/connection';
import { podKind, type Pod } from './kube/pods';
import { ResourceStore } from './kube/resource-store';
import { virtualServiceKind, type VirtualService } from './kube/virtualservices';
import { createLogger } from './log';

export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=hubmesh';

/** The long-lived state of one server process: config, the Kubernetes connection and the watch caches. */
export type Runtime = {
  config: Config;
  log: Logger;
  connection: KubeConnection;
  virtualServices: ResourceStore<VirtualService>;
  pods: ResourceStore<Pod>;
  startedAt: Date;
  stop(): void;
};

export function createRuntime(config: Config, log: Logger = createLogger(config)): Runtime {
  const connection = connect(config);
  const virtualServices = new ResourceStore<VirtualService>(
    connection.backend(virtualServiceKind),
    connection.namespace,
    MANAGED_BY_SELECTOR,
    log.child({ cache: 'virtualservices' }),
  );
  const pods = new ResourceStore<Pod>(connection.backend(podKind), connection.namespace, undefined, log.child({ cache: 'pods' }));
  virtualServices.cache.start();
  pods.cache.start();
  if (connection.mode === 'cluster') {
    log.info({ mode: 'cluster', server: connection.server, context: connection.context, namespace: connection.namespace }, 'hubmesh started in cluster mode');
  } else {
    log.info({ mode: 'local', dataDir: connection.dataDir, namespace: connection.namespace }, 'hubmesh started in local mode (embedded store, no cluster)');
  }
  return {
    config,
    log,
    connection,
    virtualServices,
    pods,
    startedAt: new Date(),
    stop() {
      virtualServices.cache.stop();
      pods.cache.stop();
    },
  };
}

// Kept on globalThis so that Next's dev-mode module reloads reuse one set of watches.
const holder = globalThis as typeof globalThis & { __hubmeshRuntime?: Runtime };

/** The process's runtime, created from the environment on first use. Throws ConfigError on bad config. */
export function getRuntime(): Runtime {
  holder.__hubmeshRuntime ??= createRuntime(parseConfig(process.env));
  return holder.__hubmeshRuntime;
}
