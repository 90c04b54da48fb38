import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { clusterPaths, repoRoot } from './paths';

declare module 'vitest' {
  export interface ProvidedContext {
    adminKubeconfig: string;
    appKubeconfig: string;
  }
}

/**
 * Integration tests run against a real control plane. A running one (npm run cluster:up) is
 * reused; otherwise it is built and started here. If it cannot be started, the run fails: the
 * suite never skips the cluster.
 */
export default function setup(project: TestProject) {
  const running = spawnSync('bash', ['scripts/cluster/status.sh'], { cwd: repoRoot, encoding: 'utf8' }).status === 0;
  if (!running) {
    console.log('integration: no control plane running; starting one with scripts/cluster/up.sh');
    const up = spawnSync('bash', ['scripts/cluster/up.sh'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    if (up.status !== 0) {
      throw new Error(`integration: scripts/cluster/up.sh failed (exit ${up.status}); the real control plane is required, see its output above`);
    }
    console.log('integration: the control plane stays up for the next run; `npm run cluster:down` stops it');
  }
  const paths = clusterPaths();
  project.provide('adminKubeconfig', paths.adminKubeconfig);
  project.provide('appKubeconfig', paths.appKubeconfig);
}
