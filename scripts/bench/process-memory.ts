// Memory of a server process, from /proc and its own /metrics: shared by the dashboard and memory benches.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { percentile } from './stats';

/** The pid listening on 127.0.0.1:<port> (the `next-server` process), from `ss -ltnp`, else by walking /proc. */
export function pidOnPort(port: number): number | undefined {
  const ss = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(ss.stdout ?? '');
  if (m) return Number(m[1]);
  // no ss: find the socket inode in /proc/net/tcp, then the process holding it
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inode = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')?.[9];
    if (!inode) return undefined;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue; // gone, or not ours to read
      }
      for (const fd of fds) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(pid);
        } catch {
          // closed meanwhile
        }
      }
    }
  } catch {
    // no /proc/net/tcp
  }
  return undefined;
}

/** VmRSS and VmHWM of a process in MB, or undefined once it is gone. */
export function memoryMb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** The VmRSS of a process and all its descendants in MB (a launcher that stayed resident would count), and how many processes that is. */
export function processTreeRssMb(pid: number): { mb: number; processes: number } {
  let mb = 0;
  let processes = 0;
  const visit = (p: number) => {
    const memory = memoryMb(p);
    if (!memory) return;
    mb += memory.rss;
    processes++;
    let children: number[] = [];
    try {
      children = readdirSync(`/proc/${p}/task`).flatMap((task) => readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone meanwhile
    }
    for (const child of children) visit(child);
  };
  visit(pid);
  return { mb, processes };
}

/** Clock ticks per second in /proc's CPU times (USER_HZ). */
export const TICKS_PER_SECOND = 100;

/** CPU time (user, system, in clock ticks) and name of a process or thread, from its /proc stat file; undefined once it is gone. */
export function procCpuTicks(statFile: string): { name: string; user: number; system: number } | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export type RssSample = { t: number; phase: string; mb: number };

/** A server's Prometheus exposition (its /metrics). */
const metricsText = async (url: string) => (await fetch(`${url}/metrics`)).text();

/** V8's heap (used/total) and external memory in MB, from the server's own /metrics (prom-client's defaults). */
export async function heapMb(url: string): Promise<{ used: number; total: number; external: number } | undefined> {
  try {
    const text = await metricsText(url);
    const value = (name: string) => Number(new RegExp(`^hubmesh_${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
    return { used: value('nodejs_heap_size_used_bytes'), total: value('nodejs_heap_size_total_bytes'), external: value('nodejs_external_memory_bytes') };
  } catch {
    return undefined;
  }
}

/** How many objects each of a server's watch caches holds (`hubmesh_cache_objects`), by cache: virtualservices, pods, ... */
export async function cacheObjects(url: string): Promise<Record<string, number>> {
  const text = await metricsText(url);
  return Object.fromEntries([...text.matchAll(/^hubmesh_cache_objects\{kind="([^"]+)"\} ([0-9]+)$/gm)].map(([, kind, n]) => [kind!, Number(n)]));
}

/** Samples a server's RSS every 250 ms; `phase` labels the samples taken from now on. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private phase = 'start';
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly t0 = performance.now();
  lastHwm = Number.NaN;

  constructor(readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  mark(phase: string): void {
    this.phase = phase;
    this.sample();
  }

  private sample(): void {
    const m = memoryMb(this.pid);
    if (!m) return;
    this.samples.push({ t: (performance.now() - this.t0) / 1000, phase: this.phase, mb: m.rss });
    this.lastHwm = m.hwm;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  max(phase?: string): number {
    const s = this.samples.filter((x) => phase === undefined || x.phase === phase);
    return s.length ? Math.max(...s.map((x) => x.mb)) : Number.NaN;
  }

  /** The median of a phase's samples. */
  median(phase: string): number {
    const mbs = this.samples.filter((x) => x.phase === phase).map((x) => x.mb);
    return mbs.length ? percentile(mbs, 50) : Number.NaN;
  }

  /** The last sample, or the last one of `phase`. */
  last(phase?: string): number {
    return this.samples.findLast((x) => phase === undefined || x.phase === phase)?.mb ?? Number.NaN;
  }
}

