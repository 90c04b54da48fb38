import type { TestProject } from 'vitest/node';
import { ensureCluster } from './harness';

declare module 'vitest' {
  export interface ProvidedContext {
    adminKubeconfig: string;
    appKubeconfig: string;
  }
}

/** Integration tests run against a real control plane, reused if running, started otherwise; never skipped. */
export default function setup(project: TestProject) {
  const paths = ensureCluster('integration');
  project.provide('adminKubeconfig', paths.adminKubeconfig);
  project.provide('appKubeconfig', paths.appKubeconfig);
}
