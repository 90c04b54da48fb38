import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import { ConfigError } from '../config-error';

export const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const IN_CLUSTER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ConnectionMode = { mode: 'cluster' } | { mode: 'local'; dataDir: string };

/** The kubeconfig files to load: KUBECONFIG's, else ~/.kube/config when it exists. */
export function kubeconfigFiles(config: Config): string[] {
  if (config.kubeconfig) return config.kubeconfig.split(path.delimiter).filter(Boolean);
  const home = path.join(os.homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** Whether hubmesh runs in a pod with a service account. */
const inCluster = (env: Record<string, string | undefined>) => Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(IN_CLUSTER_TOKEN_FILE);

/**
 * Cluster or local mode, decided without reading a kubeconfig or connecting: cluster mode when a
 * kubeconfig (KUBECONFIG or ~/.kube/config) or an in-cluster service account is found; otherwise,
 * unless cluster mode was demanded, local mode on the embedded store under the data dir.
 */
export function connectionMode(config: Config, env: Record<string, string | undefined> = process.env): ConnectionMode {
  if (config.mode !== 'local' && (kubeconfigFiles(config).length > 0 || inCluster(env))) return { mode: 'cluster' };
  if (config.mode === 'cluster') {
    throw new ConfigError(
      'config: HUBMESH_MODE is cluster, but no kubeconfig was found (set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account)',
    );
  }
  return { mode: 'local', dataDir: path.resolve(config.dataDir) };
}
