import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, type Config } from '../config';
import { clusterBackend } from './cluster-backend';
import { LocalStore } from './local-backend';
import { KubeRest } from './rest';
import type { KindDescriptor, KubeObject, ResourceBackend } from './types';

export const FIELD_MANAGER = 'hubmesh';
const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const IN_CLUSTER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

type Common = {
  namespace: string;
  backend<T extends KubeObject>(kind: KindDescriptor): ResourceBackend<T>;
};

export type KubeConnection =
  | (Common & { mode: 'cluster'; server: string; context: string; user: string; rest: KubeRest })
  | (Common & { mode: 'local'; dataDir: string; store: LocalStore });

function kubeconfigFiles(config: Config): string[] {
  if (config.kubeconfig) return config.kubeconfig.split(path.delimiter).filter(Boolean);
  const home = path.join(os.homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

function loadKubeConfig(config: Config): KubeConfig | undefined {
  const files = kubeconfigFiles(config);
  const kc = new KubeConfig();
  if (files.length > 0) {
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length === files.length) {
      throw new ConfigError(`config: KUBECONFIG points at ${missing.join(', ')}, which does not exist`);
    }
    try {
      for (const f of files.filter((f) => existsSync(f))) {
        kc.loadFromFile(f);
      }
    } catch (error) {
      throw new ConfigError(`config: KUBECONFIG ${files.join(path.delimiter)} could not be read: ${(error as Error).message}`);
    }
    if (!kc.getCurrentCluster()) throw new ConfigError(`config: KUBECONFIG ${files.join(path.delimiter)} has no current context with a cluster`);
    return kc;
  }
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN_FILE)) {
    kc.loadFromCluster();
    return kc;
  }
  return undefined;
}

/**
 * Chooses cluster or local mode. Cluster mode is used when a kubeconfig (KUBECONFIG or
 * ~/.kube/config) or an in-cluster service account is found; otherwise, unless cluster mode was
 * demanded, hubmesh runs on its embedded store under the data dir.
 */
export function connect(config: Config): KubeConnection {
  const kc = config.mode === 'local' ? undefined : loadKubeConfig(config);
  if (!kc) {
    if (config.mode === 'cluster') {
      throw new ConfigError(
        'config: HUBMESH_MODE is cluster, but no kubeconfig was found (set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account)',
      );
    }
    const store = LocalStore.open(config.dataDir);
    return {
      mode: 'local',
      dataDir: store.dataDir,
      store,
      namespace: config.namespace ?? 'default',
      backend: (kind) => store.backend(kind),
    };
  }
  const rest = new KubeRest(kc);
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const inClusterNamespace = existsSync(IN_CLUSTER_NAMESPACE_FILE) ? readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() : undefined;
  return {
    mode: 'cluster',
    server: rest.serverUrl,
    context: kc.getCurrentContext(),
    user: kc.getCurrentUser()?.name ?? '',
    rest,
    namespace: config.namespace ?? contextNamespace ?? inClusterNamespace ?? 'default',
    backend: (kind) => clusterBackend(rest, kind, FIELD_MANAGER),
  };
}
