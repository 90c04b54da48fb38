import { describe, expect, it } from 'vitest';
import { hubRoute, NS } from '../mesh/checkers/test-fixtures';
import { baseUrlOf, hubHop, hubRouteOf } from './hub-hop';
import { diagnoseInput, healthySnapshot, hopContext, SERVICE, USER } from './test-fixtures';
import type { DiagnoseInput, HubServer, HubState } from './types';

const BASE = '/jhub';
const hubRouteAt = (path: string) => hubRoute(path, { service: 'hub', port: 8081, hub: true });
const userRoute = (path = `${BASE}/user/${USER}`) => hubRoute(path, { service: SERVICE, user: USER, created: 10 });
const server = (fields: Partial<HubServer> = {}): HubServer => ({ name: '', url: `${BASE}/user/${USER}/`, ready: true, pending: null, ...fields });
const answered = (servers: Record<string, HubServer> = { '': server() }): HubState => ({ state: 'ok', user: { name: USER, servers } });

function hop(options: { hub?: HubState; routes?: ReturnType<typeof hubRoute>[]; settings?: Partial<DiagnoseInput['settings']> } = {}) {
  const snap = healthySnapshot({ virtualServices: options.routes ?? [hubRouteAt(BASE), userRoute()] });
  const input = diagnoseInput(snap, { hub: options.hub ?? answered() });
  return hubHop(hopContext({ ...input, settings: { ...input.settings, ...options.settings } }));
}

describe('hop 8: base URL and Host', () => {
  it("passes when the hub's server URL is the route's, under the hub route at its base_url", () => {
    const h = hop({ settings: { hubUrl: 'https://hub.example.org/jhub/' } });
    expect(h.status).toBe('pass');
    expect(h.summary).toBe(`The hub sends ${USER} to ${BASE}/user/${USER}/, which the route serves; the hub route ${BASE} is not rewritten and no route rewrites the Host.`);
    expect(h.evidence).toContainEqual({ label: 'Base URL', value: `${BASE}/` });
    expect(h.evidence).toContainEqual({ label: 'Hub host', value: 'hub.example.org (HUBMESH_HUB_URL); routes written for hub.example.org (HUBMESH_HOSTS)' });
  });

  it("fails when the hub's URL for the server is not the route's path (a base URL the routes do not have)", () => {
    const h = hop({ routes: [hubRouteAt('/'), userRoute(`/user/${USER}`)] });
    expect(h.status).toBe('fail');
    expect(h.summary).toContain(`The hub sends ${USER} to ${BASE}/user/${USER}/, but the route serves /user/${USER}/`);
  });

  it("fails when the hub route rewrites the path, the cause of a base URL's redirect loop", () => {
    const rewritten = hubRoute(BASE, { service: 'hub', port: 8081, hub: true });
    for (const rule of rewritten.spec.http!) rule.rewrite = { uri: '/' };
    const h = hop({ routes: [rewritten, userRoute()] });
    expect(h.status).toBe('fail');
    expect(h.summary).toContain(`The hub route ${BASE} (VirtualService ${NS}/${rewritten.metadata.name}) rewrites the request path`);
    expect(h.summary).toContain('redirect loop');
    expect(h.fix).toContain('a target without a path');
  });

  it('fails when a route rewrites the Host, or the hub\'s host is not among the routes\' hosts', () => {
    const route = userRoute();
    route.spec.http!.at(-1)!.rewrite = { authority: 'jupyter-alice:8888' };
    const authority = hop({ routes: [hubRouteAt(BASE), route] });
    expect(authority.status).toBe('fail');
    expect(authority.summary).toContain('Blocking Cross Origin API request');
    const host = hop({ settings: { hubUrl: 'https://jupyter.example.com/jhub/' } });
    expect(host.status).toBe('fail');
    expect(host.fix).toBe('Add jupyter.example.com to HUBMESH_HOSTS (and to the Gateway\'s servers), or correct HUBMESH_HUB_URL.');
    expect(hop({ settings: { hubUrl: 'https://jupyter.example.com/', hosts: ['*.example.com'] } }).status).toBe('pass');
  });

  it('fails for a server the hub does not run, a user it does not know; warns while pending', () => {
    expect(hop({ hub: answered({}) }).summary).toContain(`The hub lists no running server for ${USER}'s default server`);
    expect(hop({ hub: { state: 'ok', user: undefined } }).summary).toBe(`The hub does not know a user ${USER}.`);
    const pending = hop({ hub: answered({ '': server({ ready: false, pending: 'spawn' }) }) });
    expect(pending.status).toBe('warn');
    expect(pending.summary).toContain('as pending (spawn)');
  });

  it("is unknown without the hub's answer, and says what the routes tell, even when they are wrong", () => {
    const unconfigured = hop({ hub: { state: 'unconfigured' } });
    expect(unconfigured.status).toBe('unknown');
    expect(unconfigured.summary).toBe(`hubmesh cannot check the hub's settings: the hub API is not configured (it is read with the settings of JupyterHub sign-in: HUBMESH_HUB_URL, JUPYTERHUB_API_URL, HUBMESH_HUB_CLIENT_SECRET and HUBMESH_HUB_REDIRECT_URI). From the routes: The hub route is ${BASE}, not rewritten, and no route rewrites the Host.`);
    const rewritten = hubRoute(BASE, { service: 'hub', port: 8081, hub: true });
    for (const rule of rewritten.spec.http!) rule.rewrite = { uri: '/' };
    const down = hop({ hub: { state: 'unavailable', message: 'JupyterHub at http://hub:8081/hub/api is unreachable: ECONNREFUSED' }, routes: [rewritten, userRoute()] });
    expect(down.status).toBe('unknown');
    expect(down.summary).toContain('ECONNREFUSED');
    expect(down.summary).toContain('rewrites the request path');
    expect(down.fix).toContain('a target without a path');
    expect(hop({ hub: { state: 'ok', user: { name: USER, servers: undefined } } }).fix).toContain('read:servers');
  });

  it("reads the base URL from a server URL and finds the hub's route by its data", () => {
    expect(baseUrlOf('/jhub/user/alice/', 'alice')).toBe('/jhub/');
    expect(baseUrlOf('/user/user/', 'user')).toBe('/');
    expect(baseUrlOf('/user/a%40b/lab/', 'a@b')).toBeUndefined();
    expect(baseUrlOf('/user/a@b/lab/', 'a@b')).toBe('/');
    expect(hubRouteOf({ snapshot: healthySnapshot({ virtualServices: [userRoute(), hubRouteAt(BASE)] }) })?.path).toBe(BASE);
  });
});
