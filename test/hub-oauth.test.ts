import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authorizeUrl, createState, exchangeCode, fetchHubUser, verifyState, type HubOAuthConfig } from '../lib/auth/hub-oauth';
import { roleOf } from '../lib/auth/roles';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { freePort, startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startHub, type HubProcess } from './jupyterhub/hub-process';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };

/** A browser's cookie handling, as far as the hub's login needs it: one origin, names and values only. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Sign-in through JupyterHub OAuth against a real JupyterHub 3.0: hubmesh is a hub service with an OAuth
 * client; a browser logs in to the hub and is sent back to hubmesh's redirect URI with a code; hubmesh
 * trades it for a token, reads /hub/api/user and decides the role from the hub's admin flag and groups.
 */
describe('sign-in through JupyterHub OAuth', () => {
  const { adminCustom } = clients();
  const prefix = uniqueName('huboauth');
  const suffix = randomBytes(3).toString('hex');
  const users = { admin: `boss-${suffix}`, viewer: `watcher-${suffix}`, plain: `student-${suffix}`, demoted: `chief-${suffix}` };
  // short, so that the test sees a role change on the hub end the session
  const recheckSeconds = 2;
  const viewerGroup = `hubmesh-viewers-${suffix}`;
  const serviceToken = randomBytes(24).toString('hex');
  const sessionSecret = randomBytes(32).toString('hex');
  // the hubmesh users sign in to; the hub only sends codes to the redirect URI it registered, so its port comes first
  let redirectUri: string;
  let signInServer: HubmeshProcess;
  let hubmesh: HubmeshProcess;
  let hub: HubProcess | undefined;
  let config: HubOAuthConfig;
  const logs = () => `--- hub ---\n${hub?.output().slice(-6000)}`;

  beforeAll(async () => {
    const signInPort = await freePort();
    redirectUri = `http://127.0.0.1:${signInPort}/login/hub/callback`;
    hubmesh = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix });
    hub = await startHub({
      proxyUrl: hubmesh.url,
      proxyToken: hubmesh.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      hubRouteRegistered: async () => '/' in (await (await hubmesh.api('/api/routes')).json()),
      // as a z2jh deployment would register hubmesh (hub.services + hub.loadRoles)
      services: [{ name: 'hubmesh', api_token: serviceToken, oauth_client_id: 'service-hubmesh', oauth_redirect_uri: redirectUri, oauth_no_confirm: true }],
      // every user may reach hubmesh's sign-in, so that whoever has no role gets hubmesh's 403, not the hub's
      roles: [{ name: 'user', scopes: ['self', 'access:services!service=hubmesh'] }],
    });
    const call = async (path: string, init: RequestInit) => {
      const r = await hub!.api(path, init);
      if (!r.ok) throw new Error(`hub ${init.method} ${path}: ${r.status} ${await r.text()}`);
    };
    await call(`/users/${users.admin}`, { method: 'POST', body: JSON.stringify({ admin: true }) });
    await call(`/users/${users.viewer}`, { method: 'POST' });
    await call(`/users/${users.plain}`, { method: 'POST' });
    await call(`/users/${users.demoted}`, { method: 'POST', body: JSON.stringify({ admin: true }) });
    await call(`/groups/${viewerGroup}`, { method: 'POST' });
    await call(`/groups/${viewerGroup}/users`, { method: 'POST', body: JSON.stringify({ users: [users.viewer] }) });
    config = {
      hubUrl: `http://127.0.0.1:${hub.hubPort}/`,
      hubApiUrl: hub.apiUrl,
      clientId: 'service-hubmesh',
      clientSecret: serviceToken,
      redirectUri,
      adminGroups: [],
      readOnlyGroups: [viewerGroup],
    };
    signInServer = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix: `${prefix}s`,
      port: signInPort,
      env: {
        HUBMESH_SESSION_SECRET: sessionSecret,
        HUBMESH_HUB_URL: config.hubUrl,
        JUPYTERHUB_API_URL: config.hubApiUrl,
        HUBMESH_HUB_CLIENT_SECRET: serviceToken,
        HUBMESH_HUB_REDIRECT_URI: redirectUri,
        HUBMESH_HUB_READONLY_GROUPS: viewerGroup,
        HUBMESH_HUB_RECHECK_S: String(recheckSeconds),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await clients().adminCore.deleteNamespacedConfigMap({ name: `${prefix}s-session-revocations`, namespace: HUB_NAMESPACE }).catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await hubmesh?.stop().catch(() => undefined);
    await signInServer?.stop().catch(() => undefined);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
  });

  /** What a browser does from hubmesh's "sign in with JupyterHub" to hubmesh's callback: the callback URL it ends up at. */
  async function browserSignIn(username: string, start: string, jar = new CookieJar()): Promise<URL> {
    const hubOrigin = new URL(config.hubUrl).origin;
    let url = start;
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
      jar.take(response);
      const location = response.headers.get('location');
      if (response.status === 302 && location) {
        const next = new URL(location, url);
        if (next.href.startsWith(redirectUri)) return next;
        url = next.href;
        continue;
      }
      if (response.status === 200 && new URL(url).pathname === '/hub/login') {
        // the hub's login form (dummy authenticator): post it with the next URL it was given
        const login = await fetch(url, {
          method: 'POST',
          headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username, password: 'any' }),
          redirect: 'manual',
        });
        jar.take(login);
        expect(login.status, `hub login for ${username}: ${await login.text()}`).toBe(302);
        url = new URL(login.headers.get('location')!, hubOrigin).href;
        continue;
      }
      throw new Error(`unexpected ${response.status} at ${url}: ${(await response.text()).slice(0, 500)}\n${logs()}`);
    }
    throw new Error(`no redirect to ${redirectUri} after 10 hops\n${logs()}`);
  }

  async function signIn(username: string) {
    const { state, nonce } = createState(sessionSecret, '/previews?tab=open');
    const callback = await browserSignIn(username, authorizeUrl(config, state));
    expect(callback.searchParams.get('state')).toBe(state);
    expect(verifyState(sessionSecret, callback.searchParams.get('state'), nonce)).toEqual({ next: '/previews?tab=open' });
    const code = callback.searchParams.get('code');
    const token = await exchangeCode(config, code);
    const user = await fetchHubUser(config, token);
    return { code, token, user };
  }

  it('makes a hub admin an admin', async () => {
    const { user } = await signIn(users.admin);
    expect(user).toEqual({ name: users.admin, admin: true, groups: [] });
    expect(roleOf(user, config)).toBe('admin');
  });

  it('makes a member of the read-only group a viewer', async () => {
    const { user } = await signIn(users.viewer);
    expect(user).toEqual({ name: users.viewer, admin: false, groups: [viewerGroup] });
    expect(roleOf(user, config)).toBe('viewer');
    expect(roleOf(user, { ...config, adminGroups: [viewerGroup] })).toBe('admin');
  });

  it('gives anyone else no role', async () => {
    const { user } = await signIn(users.plain);
    expect(user).toEqual({ name: users.plain, admin: false, groups: [] });
    expect(roleOf(user, config)).toBeUndefined();
  });

  /** A code the hub just issued to the browser of `username`, not yet exchanged. */
  async function freshCode(username: string): Promise<string | null> {
    const { state } = createState(sessionSecret, '/');
    return (await browserSignIn(username, authorizeUrl(config, state))).searchParams.get('code');
  }

  it('refuses a code used twice', async () => {
    const { code } = await signIn(users.viewer);
    await expect(exchangeCode(config, code)).rejects.toMatchObject({ kind: 'bad-code', status: 403 });
  });

  it("tells a wrong client secret (hubmesh's misconfiguration) from a code for another redirect URI", async () => {
    await expect(exchangeCode({ ...config, clientSecret: 'not-the-service-token' }, await freshCode(users.viewer))).rejects.toMatchObject({ kind: 'client-rejected', status: 502 });
    await expect(exchangeCode({ ...config, redirectUri: 'https://evil.example.test/cb' }, await freshCode(users.viewer))).rejects.toMatchObject({ kind: 'bad-code', status: 403 });
  });

  it('refuses an access token once the hub has revoked it', async () => {
    const { token } = await signIn(users.plain);
    await expect(fetchHubUser(config, token)).resolves.toMatchObject({ name: users.plain });
    const list = (await (await hub!.api(`/users/${users.plain}/tokens`)).json()) as { api_tokens: Array<{ id: string; oauth_client?: string }> };
    const issued = list.api_tokens.find((t) => t.oauth_client === 'JupyterHub service hubmesh');
    expect(issued, JSON.stringify(list)).toBeDefined();
    // deleting one OAuth token deletes all of the user's tokens for that client
    expect((await hub!.api(`/users/${users.plain}/tokens/${issued!.id}`, { method: 'DELETE' })).status).toBe(204);
    await expect(fetchHubUser(config, token)).rejects.toMatchObject({ kind: 'bad-token', status: 403 });
  });

  /** The whole flow through hubmesh's own routes: /login/hub, the hub, /login/hub/callback. */
  async function signInThroughHubmesh(username: string, next = '/routes?q=x') {
    const jar = new CookieJar();
    const callback = await browserSignIn(username, `${signInServer.url}/login/hub?next=${encodeURIComponent(next)}`, jar);
    const landed = await fetch(callback, { headers: { cookie: jar.header() }, redirect: 'manual' });
    jar.take(landed);
    return { landed, body: await landed.text(), jar };
  }

  it('gives a hub admin an admin session and a viewer a read-only one, through hubmesh’s own sign-in routes', async () => {
    const admin = await signInThroughHubmesh(users.admin);
    expect(admin.landed.status, admin.body).toBe(200);
    expect(admin.body).toContain('url=/routes?q=x');
    expect(admin.landed.headers.getSetCookie().find((c) => c.startsWith('hubmesh_session='))).toMatch(/; SameSite=Strict; HttpOnly$/);
    const who = await (await fetch(`${signInServer.url}/api/v1/session`, { headers: { cookie: admin.jar.header() } })).json();
    expect(who).toMatchObject({ sub: `hub:${users.admin}`, role: 'admin' });

    const viewer = await signInThroughHubmesh(users.viewer);
    expect(viewer.landed.status).toBe(200);
    const csrf = /hubmesh_csrf=([^;]+)/.exec(viewer.jar.header())![1]!;
    const asViewer = { cookie: viewer.jar.header(), 'x-csrf-token': csrf };
    expect(await (await fetch(`${signInServer.url}/api/v1/session`, { headers: asViewer })).json()).toMatchObject({ role: 'viewer' });
    expect((await fetch(`${signInServer.url}/api/v1/routes`, { headers: asViewer })).status).toBe(200);
    const change = await fetch(`${signInServer.url}/api/v1/mesh/actions/peer-authentication`, { method: 'POST', headers: asViewer, body: '{}' });
    expect(change.status).toBe(403);
    expect((await change.json()).error).toContain('viewers see everything but change nothing');
    // signing out is everyone's
    expect((await fetch(`${signInServer.url}/api/v1/session`, { method: 'DELETE', headers: asViewer })).status).toBe(204);
  });

  it('lands on this origin whatever next the sign-in began with', async () => {
    for (const next of ['//evil.example/x', '/\\evil.example', '/\t/evil.example', '/a/..//evil.example', 'https://evil.example/']) {
      const { landed, body } = await signInThroughHubmesh(users.admin, next);
      expect(landed.status, JSON.stringify(next)).toBe(200);
      expect(body, JSON.stringify(next)).toContain('<meta http-equiv="refresh" content="0;url=/">');
    }
  });

  it('shows anyone else a 403 page that names them, and refuses a callback without its nonce cookie', async () => {
    const plain = await signInThroughHubmesh(users.plain);
    expect(plain.landed.status).toBe(403);
    expect(plain.body).toContain(users.plain);
    expect(plain.body).toContain(viewerGroup);
    expect(plain.landed.headers.getSetCookie().some((c) => c.startsWith('hubmesh_session='))).toBe(false);
    // a callback replayed in another browser (no nonce cookie) is refused
    const callback = await browserSignIn(users.admin, `${signInServer.url}/login/hub?next=/`);
    const replay = await fetch(callback, { redirect: 'manual' });
    expect(replay.status).toBe(400);
  });

  it('ends a hub admin’s session once the hub no longer makes them an admin, within the re-check interval', async () => {
    const chief = await signInThroughHubmesh(users.demoted);
    expect(chief.landed.status, chief.body).toBe(200);
    const csrf = /hubmesh_csrf=([^;]+)/.exec(chief.jar.header())![1]!;
    const asChief = { cookie: chief.jar.header(), 'x-csrf-token': csrf };
    const read = () => fetch(`${signInServer.url}/api/v1/routes`, { headers: asChief });
    // a mutation the gate lets through to the previews API, which refuses the body
    const mutate = () => fetch(`${signInServer.url}/api/v1/previews`, { method: 'POST', headers: asChief, body: JSON.stringify({ name: 'Not A DNS Name', service: 'x', ttl: '2h' }) });
    expect((await read()).status).toBe(200);
    expect((await mutate()).status).toBe(400);
    // still an admin on the hub: re-checks keep the session
    await new Promise((r) => setTimeout(r, recheckSeconds * 1000 + 200));
    expect((await read()).status).toBe(200);

    const demoted = await hub!.api(`/users/${users.demoted}`, { method: 'PATCH', body: JSON.stringify({ admin: false }) });
    expect(demoted.status, await demoted.text()).toBe(200);
    const started = Date.now();
    await eventually(async () => ((await read()).status === 401 ? true : undefined), 'the demoted admin’s session to end', (recheckSeconds + 5) * 1000);
    expect(Date.now() - started).toBeLessThan((recheckSeconds + 5) * 1000);
    expect((await mutate()).status).toBe(401);
    expect(signInServer.output()).toContain("the hub no longer gives this user the session's role: session ended");
    // revoked for every replica, not only remembered by this one
    const revocations = await clients().adminCore.readNamespacedConfigMap({ name: `${prefix}s-session-revocations`, namespace: HUB_NAMESPACE });
    const payload = /hubmesh_session=([^.;]+)/.exec(chief.jar.header())![1]!;
    const { sid } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string };
    expect(revocations.data).toHaveProperty(sid);
    // signing in again goes by what the hub says now: no role
    expect((await signInThroughHubmesh(users.demoted)).landed.status).toBe(403);
  });
});
