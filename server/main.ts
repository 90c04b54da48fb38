// hubmesh's server process: the front door (lib/http/front-door-server.ts), then Next.js as a custom
// server. scripts/build-server.mjs bundles this file into .next/hubmesh-server.mjs, which `npm start`,
// the test harnesses and the container image run:
//   node .next/hubmesh-server.mjs [--port 3000] [--hostname 127.0.0.1]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveProxyToken } from '../lib/auth/proxy-token';
import { parseConfig } from '../lib/config';
import { createFrontDoorServer } from '../lib/http/front-door-server';
import { connectionMode } from '../lib/kube/mode';
import { createLogger } from '../lib/log';
import { processSlot, RUNTIME_SLOT } from '../lib/process-slot';
import type { Runtime } from '../lib/runtime';

// the bundle lives in <app>/.next/, and so does Next's build
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// how long requests in flight (and console event streams) may run on after SIGTERM
const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function listenAddress(): { port: number; hostname: string | undefined } {
  let values: { port?: string; hostname?: string };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, hostname: { type: 'string' } } }));
  } catch (error) {
    return fail(`hubmesh-server: ${(error as Error).message}; it takes --port and --hostname`);
  }
  const port = values.port ?? process.env.PORT ?? '3000';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) fail(`hubmesh-server: the port must be a number from 0 to 65535, got ${JSON.stringify(port)}`);
  // unset: every interface, as `next start` listens
  return { port: Number(port), hostname: values.hostname };
}

/** The settings the front door needs, resolved as the runtime resolves them, without connecting to Kubernetes. */
function frontDoorSettings() {
  try {
    const config = parseConfig(process.env);
    const mode = connectionMode(config);
    const proxyToken = resolveProxyToken(config, mode.mode, mode.mode === 'local' ? mode.dataDir : undefined);
    return { config, proxyToken };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') return fail(error.message);
    throw error;
  }
}

/**
 * Next's standalone output (the container image) has no next.config.js: its server.js hands Next the
 * config serialized at build time, in this variable. Do the same when the build is standalone.
 */
function applyStandaloneConfig(): void {
  const manifest = JSON.parse(readFileSync(path.join(dir, '.next', 'required-server-files.json'), 'utf8')) as { config: { output?: string } };
  if (manifest.config.output === 'standalone') process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(manifest.config);
}

const { port, hostname } = listenAddress();
const { config, proxyToken } = frontDoorSettings();
const log = createLogger(config).child({ component: 'front-door' });

// this server only runs built apps (Next types NODE_ENV as read-only)
Object.assign(process.env, { NODE_ENV: 'production' });
applyStandaloneConfig();
// imported only now: Next and React read NODE_ENV and the standalone config when they load
const { default: next } = await import('next');
const app = next({ dev: false, dir, hostname, port });
await app.prepare();

// Next makes the runtime as it starts (instrumentation.ts), which prepare() does not wait for; the proxy
// API is served from it, ahead of Next, so this server listens once it is made
const startTimeout = setTimeout(() => fail('hubmesh-server: Next did not start hubmesh (instrumentation.ts) within 60 s'), 60_000);
const runtime = await processSlot<Runtime>(RUNTIME_SLOT).whenSet();
clearTimeout(startTimeout);
const server = createFrontDoorServer({ proxyToken, maxBodyBytes: config.proxy.maxBodyBytes, handle: app.getRequestHandler(), proxyApi: runtime.proxyApi, log });
server.on('error', (error) => fail(`hubmesh-server: cannot listen on ${hostname ?? '*'}:${port}: ${error.message}`));
server.listen(port, hostname, () => log.info({ port, hostname: hostname ?? '*' }, 'hubmesh listening'));

let stopping = false;
function stop(signal: 'SIGINT' | 'SIGTERM') {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'hubmesh stopping: no new connections, finishing requests in flight');
  // exit as `next start` does: 128 + the signal's number
  server.close(() => void app.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
