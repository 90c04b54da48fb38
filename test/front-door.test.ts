import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, rawRequest, type RawAnswer } from '@/lib/http/test-fixtures';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

/**
 * The built server in local mode, probed as an attacker would: raw requests over TCP, so no client
 * library repairs them. Every refusal must be the front door's JSON, before Next or a body byte.
 */
describe('the front door of the built server', () => {
  let hm: HubmeshProcess;
  let dataDir: string;
  const json = (a: RawAnswer) => {
    expect(a.headers['content-type']).toBe('application/json');
    return JSON.parse(a.body) as { status: number; error: string };
  };
  const residentMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${hm.pid}/status`, 'utf8'))![1]) / 1024;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-front-door-'));
    hm = await startHubmesh({ prefix: 'front-door', env: { HUBMESH_MODE: 'local', HUBMESH_DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await hm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['/api/routes/%ZZ', '/preview/%ZZ', '/api/v1/routes/%ZZ'])('answers %s, malformed percent-encoding, with a JSON 400 naming it', async (target) => {
    const a = await rawExchange(hm.port, rawRequest(`GET ${target} HTTP/1.1`, { authorization: `token ${hm.token}` }));
    expect(a.status).toBe(400);
    expect(json(a)).toEqual({ status: 400, error: 'path has a "%" not followed by two hex digits: "%ZZ"' });
  });

  it('refuses TRACE, "*" and absolute-form targets with JSON, never a redirect', async () => {
    const trace = await rawExchange(hm.port, rawRequest('TRACE /healthz HTTP/1.1'));
    expect(trace.status).toBe(405);
    expect(trace.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    expect(json(trace).status).toBe(405);
    const asterisk = await rawExchange(hm.port, rawRequest('OPTIONS * HTTP/1.1'));
    expect(json(asterisk)).toMatchObject({ status: 400, error: expect.stringContaining('"*"') });
    const absolute = await rawExchange(hm.port, rawRequest('GET http://evil.example/x HTTP/1.1'));
    expect(absolute.status).toBe(400);
    expect(absolute.headers.location).toBeUndefined();
    expect(json(absolute).error).toContain('must be a path');
  });

  it('answers malformed framing with JSON', async () => {
    const a = await rawExchange(hm.port, 'GET /healthz HTTP/1.1\r\nhost: x\r\nno colon\r\n\r\n');
    expect(a).toMatchObject({ status: 400, closed: true });
    expect(json(a).error).toMatch(/^malformed HTTP request/);
  });

  it('refuses a declared 1 GB body at once and closes, with or without the token', async () => {
    const unauthenticated = await rawExchange(hm.port, rawRequest('POST /api/routes/user/x HTTP/1.1', { 'content-length': 1_000_000_000 }));
    expect(unauthenticated).toMatchObject({ status: 403, closed: true });
    expect(unauthenticated.ms).toBeLessThan(1000);
    expect(json(unauthenticated).error).toBe('missing or wrong Authorization: token <CONFIGPROXY_AUTH_TOKEN>');
    const authenticated = await rawExchange(hm.port, rawRequest('POST /api/routes/user/x HTTP/1.1', { authorization: `token ${hm.token}`, 'content-length': 1_000_000_000 }));
    expect(authenticated).toMatchObject({ status: 413, closed: true });
    expect(authenticated.ms).toBeLessThan(1000);
    expect(json(authenticated)).toEqual({ status: 413, error: 'body is larger than 65536 bytes' });
  });

  it('reads none of twelve unauthenticated 9 MB uploads (the server does not grow)', async () => {
    const upload = Buffer.alloc(9 * 1024 * 1024, 'a');
    const send = () =>
      rawExchange(hm.port, (socket) => {
        socket.write(rawRequest('POST /api/routes/user/x HTTP/1.1', { 'content-length': upload.length }));
        socket.write(upload);
      });
    // the server answers and closes while the client still writes: the client sees the 403, or, when its
    // write fails first, only the reset
    const outcome = () =>
      send().then(
        (a) => `${a.status} ${a.closed ? 'closed' : 'open'}`,
        (error: Error) => (error.message.startsWith('no HTTP answer') ? 'reset' : error.message),
      );
    // the first refusals settle what the path allocates once
    for (let i = 0; i < 2; i++) await outcome();
    const before = residentMb();
    for (let i = 0; i < 12; i++) expect(['403 closed', 'reset']).toContain(await outcome());
    expect(residentMb() - before).toBeLessThan(4);
  });

  it('cuts a chunked body at the cap with a 413 and closes', async () => {
    const chunk = `400\r\n${'x'.repeat(0x400)}\r\n`;
    const a = await rawExchange(hm.port, (socket) => {
      socket.write(rawRequest('POST /api/routes/user/chunky HTTP/1.1', { authorization: `token ${hm.token}`, 'transfer-encoding': 'chunked' }));
      for (let i = 0; i < 200; i++) socket.write(chunk);
      socket.write('0\r\n\r\n');
    });
    expect(a).toMatchObject({ status: 413, closed: true });
    expect(json(a).error).toBe('body is larger than 65536 bytes');
    expect((await hm.api('/api/routes/user/chunky')).status).toBe(404);
  });

  it('passes the hub: a good token and body still get 201, a chunked one too', async () => {
    const body = JSON.stringify({ target: 'http://10.0.0.1:8888', user: 'bob' });
    const a = await rawExchange(hm.port, `${rawRequest('POST /api/routes/user/bob HTTP/1.1', { authorization: `token ${hm.token}`, 'content-length': body.length })}${body}`);
    expect(a.status).toBe(201);
    const chunked = await rawExchange(hm.port, (socket) => {
      socket.write(rawRequest('POST /api/routes/user/carol HTTP/1.1', { authorization: `token ${hm.token}`, 'transfer-encoding': 'chunked' }));
      socket.write(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    });
    expect(chunked.status).toBe(201);
    expect(await (await hm.api('/api/routes/user/carol')).json()).toMatchObject({ target: 'http://10.0.0.1:8888' });
  });

  it('serves a JupyterHub unicode user end to end (POST, GET, DELETE)', async () => {
    const quoted = '/user/%E7%A7%80%E6%A8%B9';
    const data = { target: 'http://10.0.0.2:8888', user: '秀樹', server_name: '' };
    expect((await hm.api(`/api/routes${quoted}/`, { method: 'POST', body: JSON.stringify(data) })).status).toBe(201);
    const one = await hm.api(`/api/routes${quoted}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject(data);
    expect(Object.keys(await (await hm.api('/api/routes')).json())).toContain('/user/秀樹');
    expect((await hm.api(`/api/routes${quoted}`, { method: 'DELETE' })).status).toBe(204);
    expect((await hm.api(`/api/routes${quoted}`)).status).toBe(404);
  });

  it('still serves pages and probes behind it', async () => {
    expect((await fetch(`${hm.url}/healthz`)).status).toBe(200);
    const login = await fetch(`${hm.url}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
