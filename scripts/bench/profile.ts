/**
 * Where a route write's CPU goes: hubmesh's built server in cluster mode on the test control plane, under
 * V8's sampling profiler (--cpu-prof), takes a POST storm the way the hub sends one: PROFILE_ROUTES (1000)
 * POSTs at c=PROFILE_CONCURRENCY (10), the same POSTs again unchanged, then the DELETEs. Only the storm's
 * window is counted, not start-up. Prints the server's CPU per request of each phase (from /proc), the top
 * self-time functions, and self time by where the code lives (Node, Next, the app bundle, the server
 * bundle, each package).
 *
 *   npx tsx scripts/bench/profile.ts            (the .cpuprofile is kept under bench-results/profile/)
 *   PROFILE_CONCURRENCY=1 npx tsx scripts/bench/profile.ts    (one hub, one request at a time)
 *   PROFILE_ROOT=<checkout> npx tsx scripts/bench/profile.ts  (that checkout's built server, for a before/after;
 *                                                             `npm run bench` with BENCH_BASELINE builds one)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { startHubmesh } from '../../test/hubmesh-process';
import { ApiClient, ensureBuiltForBench, runPool } from './load';
import { procCpuTicks, TICKS_PER_SECOND } from './process-memory';
import { formatTable, intOf } from './stats';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
type CpuProfile = { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };

const cpuTicks = (pid: number) => {
  const cpu = procCpuTicks(`/proc/${pid}/stat`);
  if (!cpu) throw new Error(`profile: the server (pid ${pid}) is gone`);
  return cpu.user + cpu.system;
};

const ticksToMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** CPU ticks (user, system) of each thread, grouped by the thread's name (V8's workers, libuv's, the main thread). */
const threadTicks = (pid: number) => {
  const byName = new Map<string, { user: number; system: number }>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const cpu = procCpuTicks(`/proc/${pid}/task/${task}/stat`);
    if (!cpu) continue; // the thread ended meanwhile
    const name = task === String(pid) ? 'main thread' : cpu.name;
    const sum = byName.get(name) ?? { user: 0, system: 0 };
    sum.user += cpu.user;
    sum.system += cpu.system;
    byName.set(name, sum);
  }
  return byName;
};

/** Where a sampled function's code lives, from its script URL. */
function placeOf(url: string): string {
  if (!url) return '(native or VM)';
  if (/next\/dist/.test(url)) return 'next (node_modules)';
  if (/\.next\/server/.test(url)) return "app bundle (.next/server: hubmesh's lib and Next's runtime)";
  if (/hubmesh-server\.mjs/.test(url)) return 'server bundle (front door, proxy API)';
  if (url.startsWith('node:')) return 'Node internals';
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url.slice(-60);
}

const VM_ENTRIES = /^\((idle|program|garbage collector)\)$/;

async function main() {
  const routes = intOf('PROFILE_ROUTES', 1000);
  const concurrency = intOf('PROFILE_CONCURRENCY', 10);
  const paths = ensureCluster('bench');
  const root = process.env.PROFILE_ROOT ? path.resolve(process.env.PROFILE_ROOT) : repoRoot;
  await ensureBuiltForBench(root);
  const out = path.join(repoRoot, 'bench-results', 'profile');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // the profile's clock starts with the server process, spawned at once by startHubmesh
  const spawnedAt = Date.now();
  const hm = await startHubmesh({
    kubeconfig: paths.appKubeconfig,
    prefix: `prof${Date.now().toString(36).slice(-6)}`,
    env: { HUBMESH_LOG_LEVEL: 'warn', NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${out}` },
    readyTimeoutMs: 60_000,
    root,
  });
  const client = new ApiClient(hm.url, hm.token);
  const body = (i: number) => JSON.stringify({ target: `http://jupyter-p${i}:8888`, jupyterhub: true, user: `p${i}`, server_name: '' });
  const items = Array.from({ length: routes }, (_, i) => i);
  let window: { from: number; to: number };
  const phases: { op: string; 'wall ms': number; 'server CPU ms per request': number }[] = [];
  const threads: Record<string, string | number>[] = [];
  let ticks = 0;
  let postTo = 0;
  try {
    // warm-up: JIT and connection pools
    await runPool(items.slice(0, 100), 10, (i) => client.expect(201, 'POST', `/api/routes/user/w${i}`, body(i)));
    await runPool(items.slice(0, 100), 10, (i) => client.expect(204, 'DELETE', `/api/routes/user/w${i}`));
    const from = Date.now();
    const phase = async (op: string, call: (i: number) => Promise<unknown>) => {
      const before = cpuTicks(hm.pid);
      const threadsBefore = threadTicks(hm.pid);
      const { wallMs } = await runPool(items, concurrency, call);
      const spent = cpuTicks(hm.pid) - before;
      for (const [name, after] of threadTicks(hm.pid)) {
        const was = threadsBefore.get(name) ?? { user: 0, system: 0 };
        const perRequest = (ticks: number) => Number((ticksToMs(ticks) / routes).toFixed(3));
        if (after.user + after.system > was.user + was.system) {
          threads.push({ op, thread: name, 'user ms per request': perRequest(after.user - was.user), 'system ms per request': perRequest(after.system - was.system) });
        }
      }
      ticks += spent;
      phases.push({ op, 'wall ms': wallMs, 'server CPU ms per request': ticksToMs(spent) / routes });
    };
    await phase('POST', (i) => client.expect(201, 'POST', `/api/routes/user/p${i}`, body(i)));
    postTo = Date.now();
    await phase('POST unchanged', (i) => client.expect(201, 'POST', `/api/routes/user/p${i}`, body(i)));
    await phase('DELETE', (i) => client.expect(204, 'DELETE', `/api/routes/user/p${i}`));
    window = { from, to: Date.now() };
  } finally {
    client.close();
    await hm.stop();
  }
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`profile: the server wrote no .cpuprofile into ${out}`);
  const profile = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as CpuProfile;
  // the storm's window on the profile's clock (µs since the process started)
  const from = profile.startTime + (window.from - spawnedAt) * 1000;
  const to = profile.startTime + (window.to - spawnedAt) * 1000;
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, k) => {
    t += profile.timeDeltas[k] ?? 0;
    if (t >= from && t <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0));
  });
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${url.split('/').pop()}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    if (!VM_ENTRIES.test(functionName)) byPlace.set(placeOf(url), (byPlace.get(placeOf(url)) ?? 0) + us);
    total += us;
  }
  const requests = routes * 3;
  const top = [...byFunction].filter(([name]) => !name.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log(`\nhubmesh profile: ${routes} POSTs, ${routes} unchanged re-POSTs, ${routes} DELETEs at c=${concurrency} (${file})\n`);
  console.log(formatTable(phases));
  console.log('\nby thread (/proc/<pid>/task; the profile below samples the main thread only)\n');
  console.log(formatTable(threads));
  console.log(`\nserver CPU per request (/proc): ${(ticksToMs(ticks) / requests).toFixed(2)} ms; sampled in the window: ${(total / 1000).toFixed(0)} ms\n`);
  console.log(formatTable(top.map(([name, us]) => ({ 'self ms': us / 1000, share: `${((us / total) * 100).toFixed(1)}%`, function: name }))));
  console.log('');
  console.log(formatTable([...byPlace].sort((a, b) => b[1] - a[1]).map(([place, us]) => ({ 'self ms': us / 1000, 'where the code lives': place }))));
  writeFileSync(
    path.join(repoRoot, 'bench-results', 'profile.json'),
    JSON.stringify({ at: new Date().toISOString(), routes, concurrency, phases, windowUs: { from, to, postTo: profile.startTime + (postTo - spawnedAt) * 1000 }, cpuMsPerRequest: ticksToMs(ticks) / requests, threads, top, byPlace: [...byPlace], profile: path.join(out, file) }, null, 2),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
