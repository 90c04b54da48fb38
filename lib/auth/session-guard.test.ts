import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configMapKind, type ConfigMap } from '../kube/configmaps';
import { KubeError } from '../kube/errors';
import { LocalStore } from '../kube/local-backend';
import type { ResourceBackend } from '../kube/types';
import { HubRoleRechecker, type RecheckOutcome } from './hub-recheck';
import { sealHubToken } from './hub-token-seal';
import { SessionRevocationStore } from './revocation-store';
import { newSession, signSession } from './session';
import { SessionGuard, sessionRefusal } from './session-guard';
import { relistingBackend, until } from './test-fixtures';

const secret = 'a-session-secret-that-is-long-enough-0123';
const ns = 'jupyterhub';
const log = pino({ level: 'silent' });
const read = { mutation: false };
const write = { mutation: true };


function backend(): ResourceBackend<ConfigMap> {
  return LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-guard-'))).backend<ConfigMap>(configMapKind);
}

async function guard(options: { backend?: ResourceBackend<ConfigMap>; ask?: (token: string) => Promise<RecheckOutcome>; start?: boolean } = {}) {
  const revocations = new SessionRevocationStore(options.backend ?? backend(), ns, 'hm', log);
  if (options.start !== false) {
    revocations.cache.start();
    expect(await revocations.cache.waitForSync(1000)).toBe(true);
  }
  const rechecker =
    options.ask && new HubRoleRechecker({ intervalMs: 0, ask: options.ask, onEnded: async (s) => void (await revocations.revoke(s)), log });
  return { guard: new SessionGuard({ secret, revocations, rechecker }), revocations };
}

describe('SessionGuard', () => {
  it('takes a signed session until it is revoked, and never a forged one', async () => {
    const { guard: g, revocations } = await guard();
    const session = newSession('admin', 'admin', 3600);
    const cookie = signSession(secret, session);
    expect(g.verify(cookie, write)).toEqual({ ok: true, session });
    expect(g.verify(signSession('another-secret-of-enough-length-0123456', session), read)).toMatchObject({ ok: false, status: 401 });
    expect(g.verify(undefined, read)).toMatchObject({ ok: false, status: 401 });
    await g.revoke(session);
    expect(g.verify(cookie, read)).toEqual({ ok: false, status: 401, error: 'this session has ended; sign in again' });
    expect(await g.check(cookie, write)).toMatchObject({ ok: false, status: 401 });
    revocations.cache.stop();
  });

  it('answers 503 before the revocations were ever listed, for reads and mutations alike', async () => {
    const { guard: g } = await guard({ start: false });
    const cookie = signSession(secret, newSession('admin', 'admin', 3600));
    expect(g.verify(cookie, read)).toMatchObject({ ok: false, status: 503 });
    expect(g.verify(cookie, write)).toMatchObject({ ok: false, status: 503 });
    // a cookie that is no session at all is still a 401
    expect(g.verify('garbage', write)).toMatchObject({ ok: false, status: 401 });
  });

  it('waits a moment for the first list at start-up instead of answering 503', async () => {
    const { guard: g, revocations } = await guard({ start: false });
    const cookie = signSession(secret, newSession('admin', 'admin', 3600));
    setTimeout(() => revocations.cache.start(), 50);
    expect(await g.check(cookie, write)).toMatchObject({ ok: true });
    revocations.cache.stop();
  });

  it('says at once why when the revocations cannot be listed, such as a missing RBAC permission', async () => {
    const real = backend();
    const forbidden: ResourceBackend<ConfigMap> = {
      ...real,
      list: async () => {
        throw new KubeError(403, 'Forbidden', 'configmaps is forbidden: User "hubmesh-app" cannot list resource "configmaps"');
      },
    };
    const { guard: g, revocations } = await guard({ backend: forbidden, start: false });
    revocations.cache.start();
    await until(() => revocations.whyUnsynced() !== undefined);
    const started = Date.now();
    const answer = await g.check(signSession(secret, newSession('admin', 'admin', 3600)), read);
    expect(Date.now() - started).toBeLessThan(500);
    expect(answer).toMatchObject({ ok: false, status: 503, error: expect.stringContaining('may not read the ConfigMap hm-session-revocations (RBAC): configmaps is forbidden') });
    revocations.cache.stop();
  });

  it('while re-listing, judges reads by the last list and refuses mutations with 503', async () => {
    const { backend: flaky, failWatch } = relistingBackend(backend());
    const { guard: g, revocations } = await guard({ backend: flaky });
    const [revoked, kept] = [newSession('admin', 'admin', 3600), newSession('admin', 'admin', 3600)];
    await g.revoke(revoked);
    await until(() => failWatch() !== undefined);
    failWatch()!(new Error('connection reset'));
    await until(() => revocations.freshness() === 'stale');
    expect(g.verify(signSession(secret, revoked), read)).toMatchObject({ ok: false, status: 401 });
    expect(g.verify(signSession(secret, kept), read)).toMatchObject({ ok: true });
    expect(g.verify(signSession(secret, kept), write)).toMatchObject({ ok: false, status: 503 });
    revocations.cache.stop();
  });

  it("re-checks a hub session's role with its own sealed token, and revokes it when the hub says otherwise", async () => {
    const asked: string[] = [];
    let role: 'admin' | 'viewer' = 'admin';
    const { guard: g, revocations } = await guard({
      ask: async (token) => {
        asked.push(token);
        return { kind: 'answered', role };
      },
    });
    const signed = newSession('hub:ann', 'admin', 3600, Date.now() - 1);
    const session = { ...signed, hub: sealHubToken(secret, signed.sid, 'ann-token') };
    const cookie = signSession(secret, session);
    expect(await g.check(cookie, write)).toEqual({ ok: true, session });
    expect(asked).toEqual(['ann-token']);
    role = 'viewer';
    expect(await g.check(cookie, read)).toEqual({ ok: false, status: 401, error: 'your role on the hub has changed; sign in again' });
    expect(revocations.isRevoked(session)).toBe(true);
    revocations.cache.stop();
  });

  it('refuses a hub session whose token cannot be opened, or when hub sign-in is no longer configured', async () => {
    const { guard: withHub, revocations } = await guard({ ask: async () => ({ kind: 'answered', role: 'admin' }) });
    const signed = newSession('hub:ann', 'admin', 3600);
    const foreign = { ...signed, hub: sealHubToken(secret, newSession('hub:bob', 'admin', 3600).sid, 'bob-token') };
    expect(await withHub.check(signSession(secret, foreign), read)).toMatchObject({ ok: false, status: 401 });
    expect(await withHub.check(signSession(secret, signed), read)).toMatchObject({ ok: false, status: 401 });
    const withoutHub = new SessionGuard({ secret, revocations, rechecker: undefined });
    const sealed = { ...signed, hub: sealHubToken(secret, signed.sid, 'ann-token') };
    expect(await withoutHub.check(signSession(secret, sealed), read)).toMatchObject({ ok: false, status: 401 });
    // the admin-token session has no hub role to re-check
    expect(await withoutHub.check(signSession(secret, newSession('admin', 'admin', 3600)), read)).toMatchObject({ ok: true });
    revocations.cache.stop();
  });
});

describe('sessionRefusal', () => {
  it('answers no session with 401, and revocations not known yet with a 503 to retry', () => {
    expect(sessionRefusal({ ok: false, status: 401, error: 'sign in again' })).toMatchObject({ status: 401, code: 'unauthorized', message: 'sign in again', headers: {} });
    expect(sessionRefusal({ ok: false, status: 503, error: 'ended sessions are not known yet' })).toMatchObject({
      status: 503,
      code: 'kube-unavailable',
      headers: { 'retry-after': '1' },
    });
  });
});
