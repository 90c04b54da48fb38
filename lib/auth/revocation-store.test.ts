import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configMapKind, type ConfigMap } from '../kube/configmaps';
import type { KubeError } from '../kube/errors';
import { LocalStore } from '../kube/local-backend';
import type { ResourceBackend } from '../kube/types';
import { ISSUED_BEFORE } from './revocations';
import { SessionRevocationStore } from './revocation-store';
import { newSession } from './session';
import { relistingBackend, until } from './test-fixtures';

const ns = 'jupyterhub';
const log = pino({ level: 'silent' });

async function replica(backend: ResourceBackend<ConfigMap>, prefix = 'hm') {
  const store = new SessionRevocationStore(backend, ns, prefix, log);
  store.cache.start();
  expect(await store.cache.waitForSync(1000)).toBe(true);
  return store;
}


const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'hubmesh-revocations-'));

describe('SessionRevocationStore', () => {
  it('revokes a session on every replica that watches the ConfigMap, and nothing else', async () => {
    const backend = LocalStore.open(tempDir()).backend<ConfigMap>(configMapKind);
    const [a, b] = [await replica(backend), await replica(backend)];
    const [signedOut, other] = [newSession('admin', 'admin', 3600), newSession('admin', 'admin', 3600)];
    expect(await a.revoke(signedOut)).toEqual({ rotated: false });
    expect(a.isRevoked(signedOut)).toBe(true);
    await until(() => b.isRevoked(signedOut));
    expect(b.isRevoked(other)).toBe(false);
    const stored = await backend.get(ns, 'hm-session-revocations');
    expect(stored.data).toEqual({ [signedOut.sid]: String(signedOut.exp) });
    expect(stored.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hubmesh', 'hubmesh.io/prefix': 'hm' });
    a.cache.stop();
    b.cache.stop();
  });

  it('keeps every revocation when replicas write at once (409: read again, try again)', async () => {
    const real = LocalStore.open(tempDir()).backend<ConfigMap>(configMapKind);
    let conflicts = 0;
    // a write reaches the store a moment after it is sent, as over the network: every replica reads first
    const counted = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => async (...args: A) => {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        return await write(...args);
      } catch (error) {
        if ((error as KubeError).status === 409) conflicts++;
        throw error;
      }
    };
    const backend: ResourceBackend<ConfigMap> = { ...real, create: counted(real.create), replace: counted(real.replace) };
    const replicas = [await replica(backend), await replica(backend), await replica(backend)];
    const sessions = Array.from({ length: 12 }, () => newSession('admin', 'admin', 3600));
    await Promise.all(sessions.map((s, i) => replicas[i % replicas.length]!.revoke(s)));
    expect(conflicts).toBeGreaterThan(0);
    const stored = await backend.get(ns, 'hm-session-revocations');
    expect(Object.keys(stored.data!).sort()).toEqual(sessions.map((s) => s.sid).sort());
    for (const r of replicas) {
      await until(() => sessions.every((s) => r.isRevoked(s)));
      r.cache.stop();
    }
  });

  it('survives a restart: a new process on the same data reads what was revoked', async () => {
    const dir = tempDir();
    const first = await replica(LocalStore.open(dir).backend<ConfigMap>(configMapKind));
    const session = newSession('admin', 'admin', 3600);
    await first.revoke(session);
    first.cache.stop();
    const second = await replica(LocalStore.open(dir).backend<ConfigMap>(configMapKind));
    expect(second.isRevoked(session)).toBe(true);
    second.cache.stop();
  });

  it("keeps installs apart by prefix, and honours an operator's issued-before", async () => {
    const backend = LocalStore.open(tempDir()).backend<ConfigMap>(configMapKind);
    const [mine, theirs] = [await replica(backend, 'hm'), await replica(backend, 'other')];
    const session = newSession('admin', 'admin', 3600);
    await theirs.revoke(session);
    await until(() => theirs.isRevoked(session));
    expect(mine.isRevoked(session)).toBe(false);
    await mine.revoke(newSession('admin', 'admin', 3600));
    // what README tells an operator to do to end every session
    // a millisecond on, so that it is after the session's issue time even within the same millisecond
    await backend.patch(ns, 'hm-session-revocations', { data: { [ISSUED_BEFORE]: new Date(Date.now() + 1).toISOString() } }, { type: 'merge' });
    await until(() => mine.isRevoked(session));
    expect(mine.isRevoked(newSession('admin', 'admin', 3600, Date.now() + 1000))).toBe(false);
    mine.cache.stop();
    theirs.cache.stop();
  });

  it('tells a cache that never listed from one that is re-listing', async () => {
    const { backend: flaky, failWatch } = relistingBackend(LocalStore.open(tempDir()).backend<ConfigMap>(configMapKind));
    const store = new SessionRevocationStore(flaky, ns, 'hm', log);
    expect(store.freshness()).toBe('unknown');
    store.cache.start();
    await until(() => store.freshness() === 'synced' && failWatch() !== undefined);
    failWatch()!(new Error('connection reset'));
    await until(() => store.freshness() === 'stale');
    store.cache.stop();
  });
});
