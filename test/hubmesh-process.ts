import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { serverEntryIn, serverProcess } from '../scripts/server-process.mjs';
import { repoRoot } from './cluster/harness';

export type HubmeshProcess = {
  url: string;
  port: number;
  pid: number;
  token: string;
  prefix: string;
  /** everything the server printed, for assertions on log lines and for failure messages */
  output: () => string;
  /** fetch against the proxy API with the token */
  api: (path: string, init?: RequestInit) => Promise<Response>;
  stop: () => Promise<void>;
  /** Sends `signal` to the server and waits until it has exited (SIGKILL: a crash, as `kill -9` makes one). */
  kill: (signal: NodeJS.Signals) => Promise<void>;
};

export type RouteApi = 'virtualservice' | 'httproute';

/** Both route backends, for the tests that run once per backend. */
export const ROUTE_APIS: readonly RouteApi[] = ['virtualservice', 'httproute'];

/** The Gateway API Gateway the tests' HTTPRoutes attach to (only its name: no controller runs it). */
export const TEST_HTTPROUTE_GATEWAY = 'jupyterhub/hubmesh-test-gateway';

/**
 * How to start hubmesh with a route backend: the app's identity of that backend (scripts/cluster/up.sh writes a
 * kubeconfig per identity next to the app's: the user hubmesh-app for VirtualServices, the service account
 * hubmesh-app-httproute for HTTPRoutes, hubmesh-app-migration for both kinds) and the settings that choose it.
 */
export function routeBackend(api: RouteApi, appKubeconfig: string, options: { migrating?: boolean } = {}): { kubeconfig: string; env: Record<string, string> } {
  const identity = options.migrating ? 'migration' : api === 'httproute' ? 'httproute' : undefined;
  const kubeconfig = identity ? path.join(path.dirname(appKubeconfig), `kubeconfig-app-${identity}`) : appKubeconfig;
  const env: Record<string, string> = api === 'httproute' ? { HUBMESH_ROUTE_API: 'httproute', HUBMESH_GATEWAY: TEST_HTTPROUTE_GATEWAY } : { HUBMESH_ROUTE_API: 'virtualservice' };
  return { kubeconfig, env };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Runs the built hubmesh (its server entry, as in production) in cluster mode against the test control
 * plane, as the app's least-privilege identity, and waits until /readyz says ready. Without a
 * kubeconfig, give it HUBMESH_MODE=local and a HUBMESH_DATA_DIR in `env`.
 */
export async function startHubmesh(options: {
  kubeconfig?: string;
  prefix: string;
  env?: Record<string, string>;
  token?: string;
  port?: number;
  readyTimeoutMs?: number;
  /** 'ready' (default): /readyz answers 200; 'healthy': the server merely answers /healthz */
  waitFor?: 'ready' | 'healthy';
  /** the checkout whose built server runs (default: this one), e.g. an older commit's for a before/after profile */
  root?: string;
}): Promise<HubmeshProcess> {
  const root = options.root ?? repoRoot;
  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const server = serverProcess({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
    HUBMESH_NAMESPACE: 'jupyterhub',
    HUBMESH_PREFIX: options.prefix,
    CONFIGPROXY_AUTH_TOKEN: token,
    HUBMESH_LOG_LEVEL: 'info',
    ...options.env,
  });
  // the same process `npm start` runs: Node with the server's memory settings, then the server entry
  const args = [...server.nodeArgs, serverEntryIn(root), '--port', String(port), '--hostname', '127.0.0.1'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: server.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hubmesh exited with ${child.exitCode} during start-up:\n${output}`);
    try {
      const r = await fetch(`${url}/${options.waitFor === 'healthy' ? 'healthz' : 'readyz'}`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hubmesh not ready after ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    pid: child.pid!,
    token,
    prefix: options.prefix,
    output: () => output,
    api: (p, init = {}) => fetch(`${url}${p}`, { ...init, headers: { authorization: `token ${token}`, ...(init.headers as Record<string, string>) } }),
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
