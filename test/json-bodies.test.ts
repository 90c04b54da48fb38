import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

/**
 * JSON bodies against the built server in local mode: keys come back exactly as sent (V8's JSON.parse
 * can misread an escaped key after one holding a backslash, nodejs/node#63785), also once the server
 * has read them back from its store, and nesting is bounded so a 201 is always readable.
 * The texts are compared as texts: this process's JSON.parse has the same bug.
 */
describe('JSON bodies (local mode)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-json-'));
  const start = () => startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: 'jsonbody', env: { HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir } });
  let hm: HubmeshProcess | undefined;
  afterAll(async () => {
    await hm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // sent in this order: the key "\" first, then keys that JSON.parse would read back as "\"
  const routes = [
    { path: '/user/backslash', sent: String.raw`{"target":"http://jupyter-a:8888","\\":"backslash"}`, stored: String.raw`{"target":"http://jupyter-a:8888","\\":"backslash"` },
    { path: '/user/omega', sent: String.raw`{"target":"http://jupyter-b:8888","\u03a9":"omega"}`, stored: '{"target":"http://jupyter-b:8888","Ω":"omega"' },
    { path: '/user/quote', sent: String.raw`{"target":"http://jupyter-c:8888","\"":"quote"}`, stored: String.raw`{"target":"http://jupyter-c:8888","\"":"quote"` },
  ];
  const depth = (levels: number) => `{"target":"http://jupyter-d:8888","x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  /** GET's answer: the data as stored (without its closing brace), then last_activity */
  const expectRoute = (text: string, data: string) => {
    expect(text.slice(0, data.length)).toBe(data);
    expect(text.slice(data.length)).toMatch(/^,"last_activity":"[^"]+"\}$/);
  };
  const expectStoredExactly = async (server: HubmeshProcess) => {
    for (const route of routes) {
      const r = await server.api(`/api/routes${route.path}`);
      expect(r.status).toBe(200);
      expectRoute(await r.text(), route.stored);
    }
  };

  it('stores escaped keys exactly as sent, and reads them back so after a restart', async () => {
    hm = await start();
    for (const route of routes) expect((await hm.api(`/api/routes${route.path}`, { method: 'POST', body: route.sent })).status).toBe(201);
    await expectStoredExactly(hm);
    await hm.stop();
    hm = await start();
    await expectStoredExactly(hm);
  });

  it('refuses a body nested deeper than 64 levels with a JSON 400, and serves one at the limit', async () => {
    hm ??= await start();
    for (const levels of [65, 4_385, 30_000]) {
      const r = await hm.api('/api/routes/user/deep', { method: 'POST', body: depth(levels) });
      expect(r.status).toBe(400);
      expect(await r.text()).toBe('{"status":400,"error":"body nests deeper than 64 levels"}');
    }
    expect((await hm.api('/api/routes/user/deep')).status).toBe(404);
    expect((await hm.api('/api/routes/user/deep', { method: 'POST', body: depth(64) })).status).toBe(201);
    const stored = await hm.api('/api/routes/user/deep');
    expect(stored.status).toBe(200);
    expectRoute(await stored.text(), depth(64).slice(0, -1));
  });
});
