import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config';
import { ConfigError } from '../config-error';
import { clusterBackend } from './cluster-backend';
import { LocalStore } from './local-backend';
import { connectionMode, IN_CLUSTER_NAMESPACE_FILE, kubeconfigFiles } from './mode';
import { KubeRest } from './rest';
import type { KindDescriptor, KubeObject, ResourceBackend } from './types';

export const FIELD_MANAGER = 'hubmesh';

type Common = {
  namespace: string;
  backend<T extends KubeObject>(kind: KindDescriptor): ResourceBackend<T>;
};

export type KubeConnection =
  | (Common & { mode: 'cluster'; server: string; context: string; user: string; rest: KubeRest })
  | (Common & { mode: 'local'; dataDir: string; store: LocalStore });

/** The kubeconfig of cluster mode: the files connectionMode found, else the pod's service account. */
function loadKubeConfig(config: Config): KubeConfig {
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
  kc.loadFromCluster();
  return kc;
}

/** Connects in the mode connectionMode chooses: to the apiserver, or to the embedded store under the data dir. */
export function connect(config: Config): KubeConnection {
  const chosen = connectionMode(config);
  if (chosen.mode === 'local') {
    const store = LocalStore.open(chosen.dataDir);
    return {
      mode: 'local',
      dataDir: store.dataDir,
      store,
      namespace: config.namespace ?? 'default',
      backend: (kind) => store.backend(kind),
    };
  }
  const kc = loadKubeConfig(config);
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
