import { defineConfig } from '@playwright/test';
import { clusterPaths } from './test/cluster/harness';

export const E2E = {
  localPort: Number(process.env.HUBMESH_E2E_PORT ?? 3100),
  clusterPort: Number(process.env.HUBMESH_E2E_CLUSTER_PORT ?? 3101),
  // test-only secrets, fixed so that every Playwright worker agrees on them
  adminToken: 'e2e-admin-token-0123456789abcdef',
  proxyToken: 'e2e-proxy-token-0123456789abcdef',
  sessionSecret: 'e2e-session-secret-0123456789abcdef0123',
  prefix: 'e2e',
};

const chromium = {
  browserName: 'chromium' as const,
  headless: true,
  screenshot: 'on' as const,
  trace: 'retain-on-failure' as const,
  launchOptions: {
    executablePath: process.env.HUBMESH_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  },
};

const { appKubeconfig } = clusterPaths();
const tokens = `HUBMESH_ADMIN_TOKEN=${E2E.adminToken} CONFIGPROXY_AUTH_TOKEN=${E2E.proxyToken} HUBMESH_SESSION_SECRET=${E2E.sessionSecret}`;

/**
 * End-to-end tests drive Debian's Chromium (never a downloaded browser) against the built app: one
 * server in local mode, one in cluster mode on the real test control plane (as the app's
 * least-privilege identity). Screenshots land in test-results/ as artifacts.
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  projects: [
    { name: 'local', testMatch: /smoke\.spec\.ts/, use: { ...chromium, baseURL: `http://127.0.0.1:${E2E.localPort}` } },
    { name: 'cluster', testMatch: /(ambient|dashboard|httproute|mesh|ambient-verdict|canary|previews|resilience|route-figures|hub-signin|redirects|isolation|traffic-graph|traffic-figures|troubleshoot)\.spec\.ts/, use: { ...chromium, baseURL: `http://127.0.0.1:${E2E.clusterPort}` } },
  ],
  webServer: [
    {
      // local mode on a fresh embedded store; start.mjs builds first when the build is stale
      command: `rm -rf .hubmesh-e2e && ${tokens} node scripts/start.mjs --mode local --data-dir .hubmesh-e2e --port ${E2E.localPort} --hostname 127.0.0.1`,
      url: `http://127.0.0.1:${E2E.localPort}/healthz`,
      reuseExistingServer: false,
      timeout: 300_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      // cluster mode: the control plane is started (or reused) first; the build is shared with the server above
      command: `bash scripts/cluster/up.sh >/dev/null && node scripts/ensure-build.mjs && ${tokens} HUBMESH_PREFIX=${E2E.prefix} node scripts/start.mjs --kubeconfig ${appKubeconfig} --namespace jupyterhub --port ${E2E.clusterPort} --hostname 127.0.0.1`,
      url: `http://127.0.0.1:${E2E.clusterPort}/readyz`,
      reuseExistingServer: false,
      timeout: 600_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
