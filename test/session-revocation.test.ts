// Sign-out ends the session on the server: a cookie (and its CSRF token) captured before DELETE /api/v1/session
// is refused afterwards by every replica, and after a restart, in cluster mode and in local mode alike.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

const adminToken = 'revocation-admin-token-0123456789';
const sessionSecret = 'revocation-session-secret-0123456789abcdef';
const env = { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret };

type Captured = { jar: string; csrf: string };

async function signIn(hm: HubmeshProcess): Promise<Captured> {
  const r = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
  expect(r.status).toBe(200);
  const cookies = r.headers.getSetCookie();
  return {
    jar: cookies.map((c) => c.split(';')[0]).join('; '),
    csrf: cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length),
  };
}

const signOut = (hm: HubmeshProcess, s: Captured) => fetch(`${hm.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: s.jar, 'x-csrf-token': s.csrf } });

/** The statuses a read and a mutation get with this cookie. The mutation is a preview the handler refuses (400) once the gate lets it through. */
async function statuses(hm: HubmeshProcess, s: Captured): Promise<{ read: number; mutation: number }> {
  const read = await fetch(`${hm.url}/api/v1/routes`, { headers: { cookie: s.jar } });
  const mutation = await fetch(`${hm.url}/api/v1/previews`, {
    method: 'POST',
    headers: { cookie: s.jar, 'x-csrf-token': s.csrf },
    body: JSON.stringify({ name: 'Not A DNS Name', service: 'x', ttl: '2h' }),
  });
  return { read: read.status, mutation: mutation.status };
}

const accepted = { read: 200, mutation: 400 };
const refused = { read: 401, mutation: 401 };

/** Waits (at most timeoutMs) until the replica refuses the cookie for both, and says how long that took. */
async function refusedWithin(hm: HubmeshProcess, s: Captured, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(async () => {
    const now = await statuses(hm, s);
    return now.read === 401 && now.mutation === 401 ? now : undefined;
  }, `${hm.url} to refuse the signed-out cookie`, timeoutMs);
  return Date.now() - started;
}

describe('sign-out across replicas (cluster mode)', () => {
  const prefix = `rv${uniqueName('x').slice(2)}`;
  const { adminCore } = clients();
  let a: HubmeshProcess;
  let b: HubmeshProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env }),
      startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await adminCore.deleteNamespacedConfigMap({ name: `${prefix}-session-revocations`, namespace: HUB_NAMESPACE }).catch(() => undefined);
  });

  it('refuses a cookie captured before sign-out on A, for reads and mutations, on A and B within two seconds', async () => {
    const captured = await signIn(a);
    const other = await signIn(b);
    expect(await statuses(a, captured)).toEqual(accepted);
    expect(await statuses(b, captured)).toEqual(accepted);

    const out = await signOut(a, captured);
    expect(out.status).toBe(204);
    expect(await statuses(a, captured)).toEqual(refused);
    expect(await refusedWithin(b, captured, 2000)).toBeLessThan(2000);
    // pages send it to sign in, and the session route no longer knows it
    const page = await fetch(`${b.url}/routes`, { headers: { cookie: captured.jar }, redirect: 'manual' });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toContain('/login');
    expect((await fetch(`${b.url}/api/v1/session`, { headers: { cookie: captured.jar } })).status).toBe(401);

    // only that session ended
    expect(await statuses(a, other)).toEqual(accepted);
    expect(await statuses(b, other)).toEqual(accepted);

    const configMap = await adminCore.readNamespacedConfigMap({ name: `${prefix}-session-revocations`, namespace: HUB_NAMESPACE });
    expect(Object.keys(configMap.data ?? {})).toHaveLength(1);
    expect(configMap.metadata?.labels).toMatchObject({ 'hubmesh.io/prefix': prefix });
  });

  it('signs out on B a session made on A, and both replicas signing out at once keep both revocations', async () => {
    const [first, second] = [await signIn(a), await signIn(a)];
    const [outA, outB] = await Promise.all([signOut(a, first), signOut(b, second)]);
    expect([outA.status, outB.status]).toEqual([204, 204]);
    for (const hm of [a, b]) {
      await refusedWithin(hm, first, 2000);
      await refusedWithin(hm, second, 2000);
    }
  });

  it('still refuses it after a restart: the revocation lives in the apiserver', async () => {
    const captured = await signIn(a);
    expect((await signOut(b, captured)).status).toBe(204);
    await b.stop();
    b = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env });
    expect(await statuses(b, captured)).toEqual(refused);
    expect(await statuses(b, await signIn(b))).toEqual(accepted);
  });
});

describe('sign-out in local mode (built server, embedded store)', () => {
  let dataDir: string;
  let hm: HubmeshProcess | undefined;
  const start = () =>
    startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: 'hubmesh', env: { ...env, HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir } });

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-revocation-'));
  });
  afterAll(async () => {
    await hm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the signed-out cookie at once, and after a restart on the same data dir', async () => {
    hm = await start();
    const captured = await signIn(hm);
    const kept = await signIn(hm);
    expect(await statuses(hm, captured)).toEqual(accepted);
    expect((await signOut(hm, captured)).status).toBe(204);
    expect(await statuses(hm, captured)).toEqual(refused);
    expect(await statuses(hm, kept)).toEqual(accepted);

    await hm.stop();
    hm = await start();
    expect(await statuses(hm, captured)).toEqual(refused);
    expect(await statuses(hm, kept)).toEqual(accepted);
  });
});
