import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { formatTable } from '../scripts/bench/stats';
import { FUZZ_CLASSES, hostileCases, KEPT_PREFIX, targetOf, type HostileCase } from './fuzz/hostile-requests';
import { rawExchange, type RawAnswer } from '../lib/http/test-fixtures';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

// A seeded fuzz run of hostile requests against the built server: path encodings, methods, framing,
// headers, JSON shapes and sizes, credentials. HUBMESH_FUZZ_CASES (per class, local mode; cluster mode
// runs a sixth of it) and HUBMESH_FUZZ_SEED reproduce a run.
const PER_CLASS = Number(process.env.HUBMESH_FUZZ_CASES ?? 500);
const SEED = Number(process.env.HUBMESH_FUZZ_SEED ?? 20261202);
const CONCURRENCY = 6;

const KEPT_ROUTES: Array<[string, Record<string, unknown>]> = [
  [`${KEPT_PREFIX}/alice`, { target: 'http://jupyter-alice:8888', user: 'alice', server_name: '' }],
  [`${KEPT_PREFIX}/alice/lab`, { target: 'http://jupyter-alice-lab:8888', user: 'alice', server_name: 'lab' }],
  [`${KEPT_PREFIX}/%E7%A7%80%E6%A8%B9`, { target: 'http://jupyter-hideki:8888', user: '秀樹', note: 'Ω \\ "quoted"' }],
  [`${KEPT_PREFIX}/bob@example.org`, { target: 'http://jupyter-bob:8888', user: 'bob@example.org', nested: { list: [1, 'two', null] } }],
  [`${KEPT_PREFIX}/hub`, { target: 'http://hub:8081', hub: true }],
];

type Verdict = { outcome: string; problem?: string };
type Outcome = { kind: 'response'; answer: RawAnswer } | { kind: 'closed' } | { kind: 'timeout' };

/** One case over a fresh connection: the server's answer, or that it closed without one, or said nothing. */
async function send(port: number, c: HostileCase): Promise<Outcome> {
  try {
    const answer = await rawExchange(port, c.endAfterWrite ? (socket) => socket.write(c.bytes, () => socket.end()) : c.bytes, { lingerMs: 0 });
    return { kind: 'response', answer };
  } catch (error) {
    return /no complete answer within/.test((error as Error).message) ? { kind: 'timeout' } : { kind: 'closed' };
  }
}

/** What the run demands of one answer. */
function judge(c: HostileCase, sent: Outcome, origin: string): Verdict {
  if (sent.kind === 'timeout') return { outcome: 'timeout', problem: 'no answer within 10 s' };
  if (sent.kind === 'closed') return c.endAfterWrite ? { outcome: 'closed' } : { outcome: 'closed', problem: 'the server closed the connection without an answer' };
  const { status, headers, body } = sent.answer;
  const outcome = `HTTP ${status}`;
  if (status >= 500) return { outcome, problem: `${status}: ${body.slice(0, 200)}` };
  // a 404 outside the APIs and share links is Next's not-found page or a missing static file: for browsers
  const notFoundPage = status === 404 && !/^\/(api|preview)(\/|$)/.test(targetOf(c));
  // a HEAD answer has no body by definition: its content type says what a GET would carry
  const head = /^HEAD /.test(c.bytes.subarray(0, 5).toString('latin1'));
  if (status >= 400 && !notFoundPage && head && !/application\/json/.test(headers['content-type'] ?? '')) {
    return { outcome, problem: `${status} to HEAD is not typed as a JSON error (content-type ${headers['content-type']})` };
  }
  if (status >= 400 && !notFoundPage && !head) {
    let error: unknown;
    try {
      error = (JSON.parse(body) as { error?: unknown }).error;
    } catch {
      // judged below
    }
    if (!/application\/json/.test(headers['content-type'] ?? '') || typeof error !== 'string') {
      return { outcome, problem: `${status} without a JSON error (content-type ${headers['content-type']}): ${body.slice(0, 200)}` };
    }
  }
  if (status >= 300 && status < 400 && headers.location !== undefined) {
    let landed: string;
    try {
      landed = new URL(headers.location, `${origin}/`).origin;
    } catch {
      return { outcome, problem: `unparseable Location ${headers.location}` };
    }
    if (landed !== origin) return { outcome, problem: `redirect off the origin: ${headers.location}` };
  }
  return { outcome };
}

async function startTime(hm: HubmeshProcess): Promise<number> {
  const text = await (await fetch(`${hm.url}/metrics`)).text();
  return Number(/^hubmesh_process_start_time_seconds (\S+)$/m.exec(text)?.[1]);
}

async function keptRoutes(hm: HubmeshProcess): Promise<string[]> {
  return Promise.all(KEPT_ROUTES.map(async ([route]) => `${route} ${await (await hm.api(`/api/routes${route}`)).text()}`));
}

/** Seeds the kept routes, sends every case, and checks the answers, the kept routes and the process. */
async function fuzz(hm: HubmeshProcess, adminToken: string, perClass: number, label: string) {
  for (const [route, data] of KEPT_ROUTES) expect((await hm.api(`/api/routes${route}`, { method: 'POST', body: JSON.stringify(data) })).status).toBe(201);
  const before = await keptRoutes(hm);
  const started = await startTime(hm);
  expect(started).toBeGreaterThan(0);

  const cases = hostileCases({ proxyToken: hm.token, adminToken }, perClass, SEED);
  const port = Number(new URL(hm.url).port);
  const tally = new Map<string, Map<string, number>>();
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const verdict = judge(c, await send(port, c), hm.url);
      const row = tally.get(c.class) ?? new Map<string, number>();
      row.set(verdict.outcome, (row.get(verdict.outcome) ?? 0) + 1);
      tally.set(c.class, row);
      if (verdict.problem) problems.push(`[${c.class}] ${c.what.slice(0, 160)} → ${verdict.problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const outcomes = [...new Set([...tally.values()].flatMap((row) => [...row.keys()]))].sort();
  console.log(
    `\nhostile input, ${label}: ${cases.length} requests (seed ${SEED})\n` +
      formatTable(FUZZ_CLASSES.map((name) => ({ class: name, ...Object.fromEntries(outcomes.map((o) => [o, tally.get(name)?.get(o) ?? 0])) }))),
  );
  expect(problems.slice(0, 20), `${problems.length} of ${cases.length} answers broke the rules`).toEqual([]);
  expect((await fetch(`${hm.url}/healthz`)).status).toBe(200);
  expect(await startTime(hm), 'the server restarted during the run').toBe(started);
  expect(await keptRoutes(hm)).toEqual(before);
  expect(hm.output()).not.toMatch(/FATAL ERROR|heap out of memory|Maximum call stack/i);
  // Next catches these itself and the server goes on; counted so a run shows them
  const caught = hm.output().match(/uncaughtException/g)?.length ?? 0;
  console.log(`${label}: Next logged ${caught} caught uncaughtException line(s) ("aborted" by clients that went away)`);
}

describe('hostile input', () => {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('local mode: no 5xx, JSON 4xx, no redirect off the origin, kept routes unchanged, no restart', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-fuzz-'));
    const adminToken = randomBytes(16).toString('hex');
    const hm = await startHubmesh({ kubeconfig: '', prefix: 'hubmesh', env: { HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir, HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_LOG_LEVEL: 'warn' }, readyTimeoutMs: 120_000 });
    stops.push(async () => {
      await hm.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await fuzz(hm, adminToken, PER_CLASS, 'local mode');
  }, 600_000);

  it('cluster mode: the same rules on a smaller run', async () => {
    const adminToken = randomBytes(16).toString('hex');
    const hm = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix: `fz${randomBytes(3).toString('hex')}`,
      env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_LOG_LEVEL: 'warn' },
      readyTimeoutMs: 120_000,
    });
    stops.push(() => hm.stop());
    await fuzz(hm, adminToken, Math.max(20, Math.round(PER_CLASS / 6)), 'cluster mode');
  }, 600_000);
});
