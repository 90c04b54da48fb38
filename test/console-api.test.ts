import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newSession, signSession } from '@/lib/auth/session';
import { clients, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

const adminToken = 'console-admin-token-0123456789';
const sessionSecret = 'console-session-secret-0123456789abcdef';
const engineerToken = 'ci-engineer-token-0123456789';
const env = { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret, HUBMESH_ENGINEER_TOKENS: `ci:${engineerToken}` };

async function signIn(hm: HubmeshProcess) {
  const r = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
  expect(r.status).toBe(200);
  const cookies = r.headers.getSetCookie();
  const jar = cookies.map((c) => c.split(';')[0]).join('; ');
  const csrf = cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length);
  return { cookies, jar, csrf };
}

describe('the console API', () => {
  let hm: HubmeshProcess;
  beforeAll(async () => {
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: `ca${uniqueName('x').slice(2)}`, env });
  });
  afterAll(async () => {
    if (!hm) return;
    await hm.stop();
    // signing out left its revocations behind
    await clients().adminCore.deleteNamespacedConfigMap({ name: `${hm.prefix}-session-revocations`, namespace: HUB_NAMESPACE }).catch(() => undefined);
  });

  it('needs a session for every /api/v1 call, and refuses forged or expired ones', async () => {
    const get = (cookie?: string) => fetch(`${hm.url}/api/v1/routes`, { headers: cookie ? { cookie } : {} });
    expect((await get()).status).toBe(401);
    const forged = signSession('not-the-secret-but-long-enough-0123456', newSession('admin', 'admin', 3600));
    expect((await get(`hubmesh_session=${forged}`)).status).toBe(401);
    const expired = signSession(sessionSecret, newSession('admin', 'admin', 60, Date.now() - 3600_000));
    expect((await get(`hubmesh_session=${expired}`)).status).toBe(401);
    const valid = signSession(sessionSecret, newSession('admin', 'admin', 60));
    expect((await get(`hubmesh_session=${valid}`)).status).toBe(200);
  });

  it('signs in with the admin token only, with an httpOnly SameSite=Strict session cookie', async () => {
    const wrong = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: 'wrong-token-0123456789' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const { cookies } = await signIn(hm);
    expect(cookies.find((c) => c.startsWith('hubmesh_session='))).toMatch(/; HttpOnly/);
    expect(cookies.find((c) => c.startsWith('hubmesh_session='))).toMatch(/; SameSite=Strict/);
    expect(cookies.find((c) => c.startsWith('hubmesh_csrf='))).not.toMatch(/HttpOnly/);
  });

  it('refuses a mutation without the CSRF token, and signs out with it', async () => {
    const { jar, csrf } = await signIn(hm);
    expect((await fetch(`${hm.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: jar } })).status).toBe(403);
    expect((await fetch(`${hm.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: jar, 'x-csrf-token': 'x'.repeat(csrf.length) } })).status).toBe(403);
    const out = await fetch(`${hm.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: jar, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c))).toBe(true);
  });

  it('takes the admin token as a bearer token for scripts, on /api/v1 only and without CSRF', async () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await fetch(`${hm.url}/api/v1/routes`, { headers: bearer(adminToken) })).status).toBe(200);
    expect((await fetch(`${hm.url}/api/v1/routes`, { headers: bearer('wrong-token-0123456789') })).status).toBe(401);
    // a mutation goes through without a CSRF token (a browser never sends the header by itself)
    expect((await fetch(`${hm.url}/api/v1/session`, { method: 'DELETE', headers: bearer(adminToken) })).status).toBe(204);
    // pages still need a browser session
    const page = await fetch(`${hm.url}/routes`, { headers: bearer(adminToken), redirect: 'manual' });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toContain('/login');
  });

  it("limits an engineer's token to reading and managing previews", async () => {
    const asEngineer = { authorization: `Bearer ${engineerToken}` };
    expect((await fetch(`${hm.url}/api/v1/routes`, { headers: asEngineer })).status).toBe(200);
    // through the gate to the previews API, which judges the body itself
    const preview = await fetch(`${hm.url}/api/v1/previews`, { method: 'POST', headers: asEngineer, body: JSON.stringify({ name: 'Not A DNS Name', service: 'x', ttl: '2h' }) });
    expect(preview.status).toBe(400);
    expect((await preview.json()).error).toMatch(/^name: /);
    const mesh = await fetch(`${hm.url}/api/v1/mesh/actions/peer-authentication`, { method: 'POST', headers: asEngineer, body: '{}' });
    expect(mesh.status).toBe(403);
    expect((await mesh.json()).error).toBe('engineer:ci may read, and manage previews only');
  });

  it('sends security headers, and a per-request script nonce the page uses', async () => {
    const { jar } = await signIn(hm);
    const page = await fetch(`${hm.url}/routes`, { headers: { cookie: jar } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(await page.text()).toContain(`nonce="${nonce}"`);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const again = await fetch(`${hm.url}/routes`, { headers: { cookie: jar } });
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
    // JSON answers and the login page carry them too
    expect((await fetch(`${hm.url}/api/v1/routes`)).headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${hm.url}/login`)).headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('keeps the hub proxy API on its own token: a console session does not open it', async () => {
    const { jar } = await signIn(hm);
    expect((await fetch(`${hm.url}/api/routes`, { headers: { cookie: jar } })).status).toBe(403);
  });

  it('answers bad query parameters with a 400 naming them', async () => {
    const { jar } = await signIn(hm);
    const r = await fetch(`${hm.url}/api/v1/routes?pageSize=100000`, { headers: { cookie: jar } });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: expect.stringMatching(/^query parameter pageSize/) });
  });

  it('serves pages only to a session, and sends others to sign in', async () => {
    const redirect = await fetch(`${hm.url}/pods?warning=any`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/login?next=%2Fpods%3Fwarning%3Dany');
    const { jar } = await signIn(hm);
    expect((await fetch(`${hm.url}/pods`, { headers: { cookie: jar }, redirect: 'manual' })).status).toBe(200);
  });
});

describe('a namespace the identity may not read', () => {
  it('says which permission is missing, and is not ready', async () => {
    // the app identity's Role is in "jupyterhub" only
    const hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: 'forbidden', env: { ...env, HUBMESH_NAMESPACE: 'default' }, waitFor: 'healthy' });
    try {
      const { jar } = await signIn(hm);
      // sessions cannot be checked against the revocations it may not read: a session gets a 503 that says so
      const asSession = await fetch(`${hm.url}/api/v1/overview`, { headers: { cookie: jar } });
      expect(asSession.status).toBe(503);
      expect((await asSession.json()).error).toMatch(/may not read the ConfigMap forbidden-session-revocations \(RBAC\): .*cannot list resource "configmaps"/);
      // the admin token (scripts) still reads the overview, which names every missing permission
      let overview: { synced: boolean; caches: Record<string, { synced: boolean; lastErrorStatus?: number; lastError?: string }> } | undefined;
      for (let i = 0; i < 50 && !overview?.caches.pods?.lastErrorStatus; i++) {
        overview = await (await fetch(`${hm.url}/api/v1/overview`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(overview!.synced).toBe(false);
      expect(overview!.caches.pods).toMatchObject({ synced: false, lastErrorStatus: 403, lastError: expect.stringContaining('cannot list resource "pods"') });
      expect(overview!.caches.virtualservices).toMatchObject({ lastErrorStatus: 403, lastError: expect.stringContaining('"virtualservices"') });
      expect(overview!.caches['session-revocations']).toMatchObject({ lastErrorStatus: 403, lastError: expect.stringContaining('"configmaps"') });
      const ready = await fetch(`${hm.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { routeCache: { ok: false, detail: expect.stringContaining('forbidden') } } });
      expect(hm.output()).toMatch(/"status":403.*list\/watch failed; cache unsynced/);
    } finally {
      await hm.stop();
    }
  });
});
