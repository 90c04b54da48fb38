import { defineConfig } from '@playwright/test';

const port = Number(process.env.HUBMESH_E2E_PORT ?? 3100);

/**
 * End-to-end tests drive Debian's Chromium (never a downloaded browser) against the built app.
 * Screenshots land in test-results/ as artifacts.
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    headless: true,
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.HUBMESH_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    // local mode on a fresh embedded store; start.mjs builds first when the build is stale
    command: `rm -rf .hubmesh-e2e && node scripts/start.mjs --mode local --data-dir .hubmesh-e2e --port ${port} --hostname 127.0.0.1`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
