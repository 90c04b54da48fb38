// Helm for tests and scripts: the cached helm binary, and a release of the chart driven the way an admin
// would (install, upgrade, uninstall, get manifest). No vitest imports: usable from scripts too.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, run } from './cluster/harness';

export const chartPath = path.join(repoRoot, 'deploy/helm/hubmesh');

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

/** The objects of a multi-document YAML stream (helm's output); empty documents are dropped. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

let helmPath: string | undefined;

/** The helm binary scripts/helm.sh builds and caches; the first build takes minutes, later calls are free. */
export function helmBinary(): string {
  helmPath ??= execFileSync('bash', [path.join(repoRoot, 'scripts/helm.sh')], { encoding: 'utf8', timeout: 15 * 60_000 }).trim();
  return helmPath;
}

export type HelmRelease = {
  readonly name: string;
  readonly namespace: string;
  /** `helm install` of the chart, without --wait; `args` are more flags (--set, --values …). Returns helm's output. */
  install(args?: string[]): string;
  /** `helm upgrade`: the values are only those in `args` (helm's default) unless they include --reuse-values. */
  upgrade(args?: string[]): string;
  /** `helm uninstall`, without --wait: the garbage collector removes ReplicaSets and pods afterwards. */
  uninstall(args?: string[]): string;
  /** `helm get manifest`: the objects of the release's current revision, as rendered. */
  manifest(): KubeObject[];
  /** any other helm command, with the release's namespace and kubeconfig, e.g. `helm(['list', '-a'])` */
  helm(args: string[]): string;
};

/** A release of the chart (deploy/helm/hubmesh unless `chart` is given) named `release` in `namespace`, as the identity of `kubeconfig`. */
export function helmRelease(release: string, namespace: string, kubeconfig: string, chart = chartPath): HelmRelease {
  const helm = (args: string[]) => run(helmBinary(), [...args, '--namespace', namespace, '--kubeconfig', kubeconfig]);
  return {
    name: release,
    namespace,
    install: (args = []) => helm(['install', release, chart, ...args]),
    upgrade: (args = []) => helm(['upgrade', release, chart, ...args]),
    uninstall: (args = []) => helm(['uninstall', release, ...args]),
    manifest: () => parseObjects(helm(['get', 'manifest', release])),
    helm,
  };
}
