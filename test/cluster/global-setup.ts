import type { TestProject } from 'vitest/node';
import { spawnSync } from 'node:child_process';
import { ensureCluster, repoRoot } from './harness';

declare module 'vitest' {
  export interface ProvidedContext {
    adminKubeconfig: string;
    appKubeconfig: string;
  }
}

/** Integration tests run against a real control plane, reused if running, started otherwise; never skipped. */
export default function setup(project: TestProject) {
  const paths = ensureCluster('integration');
  // the tests run the built server, as production does; HUBMESH_TEST_NO_BUILD=1 skips the check for a run
  // of files that only use lib/ against the control plane (and so need no build)
  if (process.env.HUBMESH_TEST_NO_BUILD === '1') {
    console.warn('integration: HUBMESH_TEST_NO_BUILD=1, the app build is not checked');
  } else {
    const build = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('integration: the app did not build; see above');
  }
  project.provide('adminKubeconfig', paths.adminKubeconfig);
  project.provide('appKubeconfig', paths.appKubeconfig);
}
