/**
 * Memory at the route-data limit: hubmesh holding N routes (default 10,000) whose data is as large as
 * HUBMESH_ROUTE_DATA_MAX_BYTES allows (4,096 bytes as JSON), in local and in cluster mode, beside
 * configurable-http-proxy 5.3.0 (its own process, in-memory store) holding the same routes, measured in
 * the same run.
 *
 *   fill     POST every route (16 at a time), then V8's heap (from /metrics) and RSS (from /proc)
 *   GET      the whole table, as the hub reads it at start-up and on every check; its time, size and the
 *            server's peak RSS while it answers
 *   restart  SIGTERM, start again on the same data: time until /readyz, until the first whole GET, and
 *            the heap and RSS after it
 *
 * Goals (from issue 13): heap used stays under the configured ceiling (HUBMESH_HEAP_MB, default 256) and
 * the server comes back after a restart and answers the GET. Variables: BENCH_MEMORY_ROUTES (10000),
 * BENCH_MEMORY_MODES (local,cluster). Results → bench-results/memory.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_HEAP_MB } from '../server-process.mjs';
import { ensureCluster, kubectlPath, repoRoot } from '../../test/cluster/harness';
import { freePort, startHubmesh, type HubmeshProcess } from '../../test/hubmesh-process';
import { ApiClient, ensureBuiltForBench, runPool } from './load';
import { heapMb, memoryMb, pidOnPort, RssSampler } from './process-memory';
import { formatTable, intOf, type Row } from './stats';

const DATA_BYTES = 4096;
const CONCURRENCY = 16;

/** Route i's body: JupyterHub's usual fields, padded so that the stored data is exactly DATA_BYTES of JSON. */
function bodyAtLimit(i: number): string {
  const base = { target: `http://jupyter-u${i}:8888`, jupyterhub: true, user: `u${i}`, server_name: '', pad: '' };
  const body = JSON.stringify({ ...base, pad: 'x'.repeat(DATA_BYTES - Buffer.byteLength(JSON.stringify(base))) });
  if (Buffer.byteLength(body) !== DATA_BYTES) throw new Error('bench: padding arithmetic is off');
  return body;
}

type Server = { url: string; token: string; pid: number | undefined; stop: () => Promise<void> };

type Result = {
  who: string;
  routes: number;
  fillS: number;
  heapUsedMb: number | undefined;
  rssMb: number | undefined;
  getMs: number;
  replyMb: number;
  getPeakRssMb: number;
  restartReadyS: number | undefined;
  restartGetS: number | undefined;
  heapAfterRestartMb: number | undefined;
  rssAfterRestartMb: number | undefined;
  hwmMb: number | undefined;
};

async function chpServer(): Promise<Server> {
  const token = randomBytes(24).toString('hex');
  const [apiPort, proxyPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot, 'node_modules/configurable-http-proxy/bin/configurable-http-proxy'), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--ip', '127.0.0.1', '--port', String(proxyPort), '--log-level', 'warn'],
    { env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: token }, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${apiPort}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/api/routes`, { headers: { authorization: `token ${token}` } })).ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 100) throw new Error('bench: configurable-http-proxy did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, token, pid: child.pid, stop: async () => void child.kill('SIGTERM') };
}

const asServer = (p: HubmeshProcess): Server => ({ url: p.url, token: p.token, pid: pidOnPort(Number(new URL(p.url).port)), stop: p.stop });

/** Fills, reads and (for hubmesh) restarts one server; `restart` starts it again on the same data. */
async function measure(who: string, n: number, first: Server, restart: (() => Promise<Server>) | undefined, notes: string[]): Promise<Result> {
  let server = first;
  const client = new ApiClient(server.url, server.token, 120_000, CONCURRENCY);
  const sampler = server.pid === undefined ? undefined : new RssSampler(server.pid);
  if (!sampler) notes.push(`${who}: no pid found for ${server.url}; no RSS`);
  const t0 = performance.now();
  await runPool(
    Array.from({ length: n }, (_, i) => i),
    CONCURRENCY,
    (i) => client.expect(201, 'POST', `/api/routes/user/u${i}`, bodyAtLimit(i)),
    Number.POSITIVE_INFINITY,
  );
  const fillS = (performance.now() - t0) / 1000;
  const heapAfterFill = who.startsWith('hubmesh') ? await heapMb(server.url) : undefined;
  const rssAfterFill = server.pid === undefined ? undefined : memoryMb(server.pid)?.rss;
  sampler?.mark('get');
  const g0 = performance.now();
  const reply = await client.expect(200, 'GET', '/api/routes');
  const getMs = performance.now() - g0;
  const count = Object.keys(JSON.parse(reply.body) as object).length;
  if (count !== n) throw new Error(`bench: ${who} listed ${count} routes, expected ${n}`);
  sampler?.stop();
  client.close();
  const result: Result = {
    who,
    routes: n,
    fillS,
    heapUsedMb: heapAfterFill?.used,
    rssMb: rssAfterFill,
    getMs,
    replyMb: Buffer.byteLength(reply.body) / 2 ** 20,
    getPeakRssMb: sampler?.max('get') ?? Number.NaN,
    restartReadyS: undefined,
    restartGetS: undefined,
    heapAfterRestartMb: undefined,
    rssAfterRestartMb: undefined,
    hwmMb: sampler?.lastHwm,
  };
  if (!restart) {
    await server.stop();
    return result;
  }
  await server.stop();
  const r0 = performance.now();
  server = await restart();
  result.restartReadyS = (performance.now() - r0) / 1000;
  const again = new ApiClient(server.url, server.token, 120_000, 1);
  const relisted = Object.keys(JSON.parse((await again.expect(200, 'GET', '/api/routes')).body) as object).length;
  result.restartGetS = (performance.now() - r0) / 1000;
  again.close();
  if (relisted !== n) throw new Error(`bench: ${who} listed ${relisted} routes after the restart, expected ${n}`);
  result.heapAfterRestartMb = (await heapMb(server.url))?.used;
  result.rssAfterRestartMb = server.pid === undefined ? undefined : memoryMb(server.pid)?.rss;
  await server.stop();
  return result;
}

export async function runMemoryBench(): Promise<void> {
  const n = intOf('BENCH_MEMORY_ROUTES', 10_000);
  const modes = (process.env.BENCH_MEMORY_MODES ?? 'local,cluster').split(',').map((m) => m.trim());
  const heapCeilingMb = Number(process.env.HUBMESH_HEAP_MB ?? DEFAULT_HEAP_MB);
  await ensureBuiltForBench(repoRoot);
  const notes: string[] = [];
  const results: Result[] = [];
  const suffix = randomBytes(4).toString('hex');

  console.log(`\nmemory: ${n} routes of ${DATA_BYTES} bytes of data each (the default HUBMESH_ROUTE_DATA_MAX_BYTES), heap ceiling ${heapCeilingMb} MB\n`);
  results.push(await measure('configurable-http-proxy 5.3.0', n, await chpServer(), undefined, notes));

  if (modes.includes('local')) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-bench-memory-'));
    const env = { HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir, HUBMESH_LOG_LEVEL: 'warn' };
    const token = randomBytes(24).toString('hex');
    const start = async () => asServer(await startHubmesh({ kubeconfig: '', prefix: 'hubmesh', env, token, readyTimeoutMs: 300_000 }));
    try {
      results.push(await measure('hubmesh, local mode', n, await start(), start, notes));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (modes.includes('cluster')) {
    const paths = ensureCluster('bench');
    const prefix = `mem${suffix}`;
    const token = randomBytes(24).toString('hex');
    const start = async () => asServer(await startHubmesh({ kubeconfig: paths.appKubeconfig, prefix, env: { HUBMESH_LOG_LEVEL: 'warn' }, token, readyTimeoutMs: 300_000 }));
    try {
      results.push(await measure('hubmesh, cluster mode', n, await start(), start, notes));
    } finally {
      const del = spawnSync(kubectlPath(), ['--kubeconfig', paths.adminKubeconfig, '-n', 'jupyterhub', 'delete', 'virtualservices.networking.istio.io', '-l', `hubmesh.io/prefix=${prefix}`, '--wait=false'], { encoding: 'utf8' });
      if (del.status !== 0) notes.push(`clean-up of prefix ${prefix} failed: ${del.stderr}`);
    }
  }

  const anchor = results[0]!;
  const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(digits));
  const rows: Row[] = results.map((r) => ({
    server: r.who,
    routes: r.routes,
    'fill s': fmt(r.fillS, 1),
    'heap used MB': fmt(r.heapUsedMb),
    'RSS MB': fmt(r.rssMb),
    'RSS × CHP': r === anchor || r.rssMb === undefined || anchor.rssMb === undefined ? '' : `${(r.rssMb / anchor.rssMb).toFixed(2)}×`,
    'GET all ms': fmt(r.getMs),
    'GET × CHP': r === anchor ? '' : `${(r.getMs / anchor.getMs).toFixed(2)}×`,
    'reply MB': fmt(r.replyMb, 1),
    'peak RSS in GET MB': fmt(r.getPeakRssMb),
    'VmHWM MB': fmt(r.hwmMb),
    'restart → ready s': fmt(r.restartReadyS, 1),
    'restart → GET s': fmt(r.restartGetS, 1),
    'heap / RSS after restart MB': r.heapAfterRestartMb === undefined ? '' : `${fmt(r.heapAfterRestartMb)} / ${fmt(r.rssAfterRestartMb)}`,
  }));
  console.log(formatTable(rows));
  const targets = results
    .filter((r) => r !== anchor)
    .flatMap((r) => [
      { goal: `${r.who}: heap used < ${heapCeilingMb} MB at ${r.routes} routes`, measured: `${fmt(r.heapUsedMb)} MB, ${fmt(r.heapAfterRestartMb)} MB after restart`, pass: (r.heapUsedMb ?? Infinity) < heapCeilingMb && (r.heapAfterRestartMb ?? Infinity) < heapCeilingMb },
      { goal: `${r.who}: comes back after a restart and answers GET with every route`, measured: `${fmt(r.restartGetS, 1)} s`, pass: r.restartGetS !== undefined },
    ]);
  console.log('');
  console.log(formatTable(targets.map((t) => ({ goal: t.goal, measured: t.measured, result: t.pass ? 'PASS' : 'FAIL' }))));
  for (const note of notes) console.log(`\nnote: ${note}`);
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'memory.json'), JSON.stringify({ at: new Date().toISOString(), routes: n, dataBytes: DATA_BYTES, heapCeilingMb, results, targets, notes }, null, 2));
}
