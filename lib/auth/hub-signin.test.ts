import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createState, type HubOAuthConfig } from './hub-oauth';
import { finishHubSignIn, startHubSignIn, type HubSignInDeps } from './hub-signin';
import { verifySession } from './session';

const auth = { sessionSecret: 'a-session-secret-that-is-long-enough-0123', ttlSeconds: 3600 };
const log = pino({ level: 'silent' });
const hubOAuth: HubOAuthConfig = {
  hubUrl: 'https://hub.example.org/',
  hubApiUrl: 'http://127.0.0.1:1/hub/api/',
  clientId: 'service-hubmesh',
  clientSecret: 'the-service-api-token',
  redirectUri: 'https://hub.example.org/hubmesh/login/hub/callback',
  adminGroups: ['hub-admins'],
  readOnlyGroups: ['auditors'],
};

describe('startHubSignIn', () => {
  it("sends the browser to the hub's authorize endpoint with a state bound to a nonce cookie", () => {
    const response = startHubSignIn({ hubOAuth, auth, log }, '/previews', true);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://hub.example.org/hub/api/oauth2/authorize');
    expect(location.searchParams.get('state')).toMatch(/\./);
    expect(response.headers.get('set-cookie')).toMatch(/^hubmesh_oauth_nonce=[^;]+; Path=\/login\/hub; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('is a 404 page when JupyterHub sign-in is not configured', async () => {
    const response = startHubSignIn({ hubOAuth: undefined, auth, log }, null, false);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('JupyterHub sign-in is not configured');
  });
});

describe('finishHubSignIn', () => {
  // the hub's token and user endpoints, answering for whichever user the test names
  let hubUser: { name: string; admin: boolean; groups: string[] } = { name: 'ada', admin: false, groups: [] };
  const hub = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/hub/api/oauth2/token' ? { access_token: 'hub-token', token_type: 'Bearer' } : hubUser));
    });
  });
  let deps: HubSignInDeps;
  beforeAll(async () => {
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    deps = { hubOAuth: { ...hubOAuth, hubApiUrl: `http://127.0.0.1:${(hub.address() as AddressInfo).port}/hub/api/`, timeoutMs: 2000 }, auth, log };
  });
  afterAll(async () => {
    hub.closeAllConnections();
    await new Promise((resolve) => hub.close(resolve));
  });

  const callback = (next: string) => {
    const { state, nonce } = createState(auth.sessionSecret, next);
    return { params: new URLSearchParams({ code: 'the-code', state }), nonce };
  };

  it('gives a member of an admin group an admin session and clears the nonce', async () => {
    hubUser = { name: 'ada', admin: false, groups: ['hub-admins'] };
    const { params, nonce } = callback('/previews');
    const response = await finishHubSignIn(deps, params, nonce, false);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('content="0;url=/previews"');
    const cookies = response.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('hubmesh_oauth_nonce='))).toMatch(/Max-Age=0/);
    const signed = cookies.find((c) => c.startsWith('hubmesh_session='))!.split(';')[0]!.slice('hubmesh_session='.length);
    expect(verifySession(auth.sessionSecret, signed)).toMatchObject({ sub: 'hub:ada', role: 'admin' });
  });

  it('gives a read-only group a viewer session', async () => {
    hubUser = { name: 'bob', admin: false, groups: ['auditors'] };
    const { params, nonce } = callback('/');
    const cookies = (await finishHubSignIn(deps, params, nonce, false)).headers.getSetCookie();
    const signed = cookies.find((c) => c.startsWith('hubmesh_session='))!.split(';')[0]!.slice('hubmesh_session='.length);
    expect(verifySession(auth.sessionSecret, signed)).toMatchObject({ sub: 'hub:bob', role: 'viewer' });
  });

  it('turns away a hub user with no role, saying who may sign in', async () => {
    hubUser = { name: 'eve', admin: false, groups: ['students'] };
    const { params, nonce } = callback('/');
    const response = await finishHubSignIn(deps, params, nonce, false);
    expect(response.status).toBe(403);
    const page = await response.text();
    expect(page).toContain('<b>eve</b>, who has no access to hubmesh');
    expect(page).toContain('<code>hub-admins</code>, <code>auditors</code>');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('hubmesh_session='))).toBe(false);
  });

  it("refuses a state that is not bound to this browser's nonce, and says what the hub answered when it refused", async () => {
    const { params } = callback('/');
    const forged = await finishHubSignIn(deps, params, 'another-nonce', false);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('Sign-in failed');

    const denied = await finishHubSignIn(deps, new URLSearchParams({ error: 'access_denied' }), undefined, false);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('The hub answered: access_denied.');
  });
});
