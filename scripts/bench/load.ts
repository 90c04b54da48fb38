/** Load helpers for the benchmarks: a bounded worker pool, a small keep-alive HTTP client, and the build check. */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

export type PoolResult = {
  /** per-call latency in ms, in completion order */
  latencies: number[];
  /** wall time of the whole pool in ms, first call started to last call finished */
  wallMs: number;
};

/**
 * Runs fn once per item with at most `concurrency` calls in flight (the hub's semaphore), timing
 * each call. The first failure stops the pool: no new calls start, and the error is thrown once the
 * calls already in flight have settled. `deadline` (epoch ms) bounds the whole pool.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<unknown>,
  deadline = Number.POSITIVE_INFINITY,
): Promise<PoolResult> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`runPool: concurrency must be a positive integer, got ${concurrency}`);
  const latencies: number[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      if (Date.now() > deadline) {
        failure = { error: new Error(`runPool: deadline passed after ${latencies.length} of ${items.length} calls`) };
        return;
      }
      const index = next++;
      const start = performance.now();
      try {
        await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
        return;
      }
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  const wallMs = performance.now() - started;
  if (failure) throw failure.error;
  return { latencies, wallMs };
}

export type HttpAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** Thrown for an unexpected status; the message carries the method, URL, status and body. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} answered ${status}, body: ${body.slice(0, 2000) || '(empty)'}`);
  }
}

/**
 * A keep-alive HTTP/1.1 client for one server, the same for hubmesh and CHP so that both pay the
 * same client cost. Requests carry `Authorization: token <T>` and, like the hub's, no Content-Type.
 */
export class ApiClient {
  private readonly agent: http.Agent;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 30_000,
    maxSockets = 32,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: string): Promise<HttpAnswer> {
    const url = `${this.baseUrl}${path}`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `token ${this.token}` };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = http.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** request() that throws HttpStatusError unless the status is the expected one. */
  async expect(status: number, method: 'GET' | 'POST' | 'DELETE', path: string, body?: string): Promise<HttpAnswer> {
    const answer = await this.request(method, path, body);
    if (answer.status !== status) throw new HttpStatusError(method, `${this.baseUrl}${path}`, answer.status, answer.body);
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Runs scripts/ensure-build.mjs, waiting (bounded: 10 tries, 15 s apart) for a `next build` that
 * tests running beside the bench have started.
 */
export async function ensureBuiltForBench(repoRoot: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'ensure-build.mjs')], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    process.stderr.write(build.stdout + build.stderr);
    if (build.status === 0) return;
    if (attempt < 10 && /Another next build process is already running/.test(build.stdout + build.stderr)) {
      console.error(`bench: another next build is running; retrying in 15 s (attempt ${attempt} of 10)`);
      await new Promise((r) => setTimeout(r, 15_000));
      continue;
    }
    throw new Error(`bench: scripts/ensure-build.mjs failed (exit ${build.status}); hubmesh must be built to run`);
  }
}
