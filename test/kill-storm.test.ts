import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

// kill -9 in the middle of a storm of POSTs: every route that got a 201 is there after the restart,
// with the data it was sent. A 201 is a promise the hub relies on: it never POSTs that route again.
const CONCURRENCY = 16;
const KILL_AFTER_CREATED = 150;

const body = (i: number) => JSON.stringify({ target: `http://jupyter-s${i}:8888`, user: `s${i}`, server_name: '', n: i, note: 'Ω\\"' });

async function stormThenKill(hm: HubmeshProcess): Promise<{ created: Map<string, string>; failed: number }> {
  const created = new Map<string, string>();
  let failed = 0;
  let next = 0;
  let killed = false;
  const worker = async () => {
    while (!killed) {
      const i = next++;
      try {
        const r = await hm.api(`/api/routes/storm/s${i}`, { method: 'POST', body: body(i) });
        if (r.status === 201) created.set(`/storm/s${i}`, body(i));
        else failed++;
      } catch {
        failed++; // the connection died with the server
      }
      if (!killed && created.size >= KILL_AFTER_CREATED) {
        killed = true;
        await hm.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { created, failed };
}

async function expectAllCreated(hm: HubmeshProcess, created: Map<string, string>) {
  const table = (await (await hm.api('/api/routes')).json()) as Record<string, Record<string, unknown>>;
  const missing = [...created.keys()].filter((route) => !(route in table));
  expect(missing, `${missing.length} of ${created.size} routes that got a 201 are gone`).toEqual([]);
  for (const [route, sent] of created) {
    const { last_activity: lastActivity, ...data } = table[route]!;
    expect(typeof lastActivity).toBe('string');
    expect(data).toEqual(JSON.parse(sent));
  }
}

describe('kill -9 during a POST storm', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('local mode loses no route that got a 201', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const token = randomBytes(24).toString('hex');
    const env = { HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir, HUBMESH_LOG_LEVEL: 'warn' };
    const first = await startHubmesh({ kubeconfig: '', prefix: 'hubmesh', token, env, readyTimeoutMs: 120_000 });
    const { created } = await stormThenKill(first);
    expect(created.size).toBeGreaterThanOrEqual(KILL_AFTER_CREATED);
    const again = await startHubmesh({ kubeconfig: '', prefix: 'hubmesh', token, env, readyTimeoutMs: 120_000 });
    cleanups.push(() => again.stop());
    await expectAllCreated(again, created);
  }, 180_000);

  it('cluster mode loses no route that got a 201', async () => {
    const token = randomBytes(24).toString('hex');
    const prefix = `ks${randomBytes(3).toString('hex')}`;
    const first = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, token, env: { HUBMESH_LOG_LEVEL: 'warn' }, readyTimeoutMs: 120_000 });
    const { created } = await stormThenKill(first);
    expect(created.size).toBeGreaterThanOrEqual(KILL_AFTER_CREATED);
    const again = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, token, env: { HUBMESH_LOG_LEVEL: 'warn' }, readyTimeoutMs: 120_000 });
    cleanups.push(() => again.stop());
    await expectAllCreated(again, created);
  }, 300_000);
});
