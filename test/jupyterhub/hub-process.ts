import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../hubmesh-process';
import type { CoreV1Api } from '@kubernetes/client-node';
import { kubectlPath } from '../cluster/harness';

/** Debian's JupyterHub 3.0 lives in the system Python; the first python3 on PATH may be another one. */
export const HUB_PYTHON = '/usr/bin/python3';
const CONFIG = path.join(__dirname, 'jupyterhub_config.py');


export type HubProcess = {
  /** the hub's own API server, e.g. http://127.0.0.1:<port>/hub/api */
  apiUrl: string;
  hubPort: number;
  runId: string;
  stateDir: string;
  /** fetch against the hub REST API with the admin service's token */
  api: (path: string, init?: RequestInit) => Promise<Response>;
  output: () => string;
  /** SIGTERM (the hub stops its servers and deletes their routes), SIGKILL after a bound; then ends any mock server left */
  stop: () => Promise<void>;
};

function killMockServers(stateDir: string): void {
  let files: string[];
  try {
    files = readdirSync(path.join(stateDir, 'mock-servers'));
  } catch {
    return;
  }
  for (const f of files) {
    const pid = Number(readFileSync(path.join(stateDir, 'mock-servers', f), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      // only a mocksu this run started: its command line says so
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('jupyterhub.tests.mocksu')) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs a real JupyterHub 3.0 (Debian's) with test/jupyterhub/jupyterhub_config.py against an
 * external proxy API (hubmesh), and waits until its API answers and it has registered its own
 * route. Throws, with the hub's output, when it cannot start: the test must never skip.
 */
export async function startHub(options: {
  proxyUrl: string;
  proxyToken: string;
  /** the spawner's kubectl; the control plane's own by default */
  kubectl?: string;
  kubeconfig: string;
  namespace: string;
  /** resolves once the proxy lists the hub's route */
  hubRouteRegistered: () => Promise<boolean>;
  /** JupyterHub.last_activity_interval: how often the hub reads the routes' last_activity (300 s by default) */
  lastActivityIntervalSeconds?: number;
  /** more JupyterHub.services entries (e.g. an OAuth client), after the admin service e2e */
  services?: Record<string, unknown>[];
  /** more JupyterHub.load_roles entries, after the admin role; a default role's name (e.g. "user") redefines it */
  roles?: Record<string, unknown>[];
  /** JupyterHub.base_url, e.g. "/jupyter/" ("/" by default): the hub's route and API move below it */
  baseUrl?: string;
  readyTimeoutMs?: number;
}): Promise<HubProcess> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'hube2e-hub-'));
  const hubPort = await freePort();
  const publicPort = await freePort();
  const runId = randomBytes(4).toString('hex');
  const apiToken = randomBytes(24).toString('hex');
  const baseUrl = options.baseUrl ?? '/';
  const apiUrl = `http://127.0.0.1:${hubPort}${baseUrl}hub/api`;
  let output = '';
  const env: Record<string, string | undefined> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    // no __pycache__ next to the config in the repository
    PYTHONDONTWRITEBYTECODE: '1',
    HUBE2E_STATE_DIR: stateDir,
    HUBE2E_HUB_PORT: String(hubPort),
    HUBE2E_PUBLIC_PORT: String(publicPort),
    HUBE2E_PROXY_URL: options.proxyUrl,
    HUBE2E_PROXY_TOKEN: options.proxyToken,
    HUBE2E_API_TOKEN: apiToken,
    HUBE2E_KUBECTL: options.kubectl ?? kubectlPath(),
    HUBE2E_KUBECONFIG: options.kubeconfig,
    HUBE2E_NAMESPACE: options.namespace,
    HUBE2E_RUN_ID: runId,
    HUBE2E_LAST_ACTIVITY_INTERVAL: options.lastActivityIntervalSeconds === undefined ? undefined : String(options.lastActivityIntervalSeconds),
    HUBE2E_EXTRA_SERVICES: JSON.stringify(options.services ?? []),
    HUBE2E_EXTRA_ROLES: JSON.stringify(options.roles ?? []),
    HUBE2E_BASE_URL: baseUrl,
  };
  const child: ChildProcess = spawn(HUB_PYTHON, ['-m', 'jupyterhub', '-f', CONFIG], {
    cwd: stateDir,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    killMockServers(stateDir);
  };
  const fail = async (why: string): Promise<never> => {
    await stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`JupyterHub did not start: ${why}\n--- hub output ---\n${output}`);
  };

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let apiUp = false;
  for (;;) {
    const error = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 200))]);
    if (error) return fail(`${HUB_PYTHON} -m jupyterhub could not run: ${error.message}`);
    if (child.exitCode !== null || child.signalCode !== null) return fail(`exited with ${child.exitCode ?? child.signalCode} during start-up`);
    if (!apiUp) {
      try {
        const r = await fetch(`${apiUrl}/`);
        apiUp = r.ok;
      } catch {
        // not listening yet
      }
    }
    if (apiUp && (await options.hubRouteRegistered().catch(() => false))) break;
    if (Date.now() > deadline) return fail(`not ready after ${timeoutMs} ms (API up: ${apiUp})`);
  }

  return {
    apiUrl,
    hubPort,
    runId,
    stateDir,
    api: (p, init = {}) => fetch(`${apiUrl}${p}`, { ...init, headers: { authorization: `token ${apiToken}`, ...(init.headers as Record<string, string>) } }),
    output: () => output,
    stop: async () => {
      await stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Removes what a hub run's spawner left in the cluster (its Pods and Services carry the run's label), as the admin. */
export async function removeSpawnedObjects(hub: HubProcess, adminCore: CoreV1Api, namespace: string): Promise<void> {
  const labelSelector = `e2e.hubmesh.io/run=${hub.runId}`;
  await adminCore.deleteCollectionNamespacedPod({ namespace, labelSelector, gracePeriodSeconds: 0 }).catch(() => undefined);
  const services = await adminCore.listNamespacedService({ namespace, labelSelector }).catch(() => ({ items: [] }));
  for (const s of services.items) await adminCore.deleteNamespacedService({ namespace, name: s.metadata!.name! }).catch(() => undefined);
}
