import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoorServer } from './front-door-server';
import { rawExchange, rawRequest } from './test-fixtures';

const token = 'front-door-server-token-0123456789';
const MAX = 1024;

/** Stands in for Next: reads the whole body (as Next's proxy does) and echoes its size. */
const seen: Array<{ method: string; url: string; bytes: number; ended: boolean }> = [];
async function handle(req: IncomingMessage, res: ServerResponse) {
  const entry = { method: req.method!, url: req.url!, bytes: 0, ended: false };
  seen.push(entry);
  if (req.url === '/throws') throw new Error('the app failed');
  // as Next answers a method a route does not export, and a Server Action it does not know
  if (req.url === '/bare-405') return void res.writeHead(405, { allow: 'GET' }).end();
  if (req.url === '/plain-409') {
    res.statusCode = 409;
    res.setHeader('content-type', 'text/plain');
    return void res.end('Server Action unavailable.');
  }
  if (req.url === '/page-404') {
    res.statusCode = 404;
    res.setHeader('content-type', 'text/html');
    return void res.end('<!doctype html><title>404</title>');
  }
  for await (const chunk of req) entry.bytes += (chunk as Buffer).length;
  entry.ended = true;
  const body = JSON.stringify({ bytes: entry.bytes, upgrade: req.headers.upgrade ?? null });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Stands in for the proxy API: reads the whole body and says it served the request. */
const servedByProxyApi: string[] = [];
async function proxyApi(req: IncomingMessage, res: ServerResponse) {
  servedByProxyApi.push(`${req.method} ${req.url}`);
  let bytes = 0;
  for await (const chunk of req) bytes += (chunk as Buffer).length;
  const body = JSON.stringify({ proxyApi: true, bytes });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const logged: unknown[] = [];
const log = { info: (o: unknown) => logged.push(o), warn: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) };
const server = createFrontDoorServer({ proxyToken: { token, source: 'env' }, maxBodyBytes: MAX, handle, proxyApi, log });
let port: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (body: string) => JSON.parse(body) as { status: number; error: string };
const chunk = (bytes: number) => `${bytes.toString(16)}\r\n${'x'.repeat(bytes)}\r\n`;

describe('the front door server', () => {
  it('answers a malformed path with JSON and keeps the connection', async () => {
    const a = await rawExchange(port, rawRequest('GET /api/routes/%ZZ HTTP/1.1'));
    expect(a).toMatchObject({ status: 400, closed: false, headers: { 'content-type': 'application/json' } });
    expect(json(a.body)).toEqual({ status: 400, error: 'path has a "%" not followed by two hex digits: "%ZZ"' });
    expect(logged).toContainEqual(expect.objectContaining({ method: 'GET', target: '/api/routes/%ZZ', status: 400 }));
  });

  it("turns Next's own empty and plain-text errors into JSON, and leaves pages alone", async () => {
    const bare = await rawExchange(port, rawRequest('GET /bare-405 HTTP/1.1'));
    expect(bare).toMatchObject({ status: 405, headers: { 'content-type': 'application/json', allow: 'GET' } });
    expect(json(bare.body)).toEqual({ status: 405, error: 'method not allowed' });
    const plain = await rawExchange(port, rawRequest('POST /plain-409 HTTP/1.1', { 'content-length': 0 }));
    expect(json(plain.body)).toEqual({ status: 409, error: 'Server Action unavailable.' });
    const page = await rawExchange(port, rawRequest('GET /page-404 HTTP/1.1'));
    expect(page).toMatchObject({ status: 404, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>404</title>' });
  });

  it('refuses TRACE with an allow header', async () => {
    const a = await rawExchange(port, rawRequest('TRACE /healthz HTTP/1.1'));
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  });

  it('answers CONNECT, which Node keeps from the request listener, and closes', async () => {
    const a = await rawExchange(port, rawRequest('CONNECT evil.example:443 HTTP/1.1'));
    expect(a).toMatchObject({ status: 405, closed: true });
    expect(json(a.body).status).toBe(405);
  });

  it('refuses a declared 1 GB body at once, reading none of it, and closes', async () => {
    const before = seen.length;
    const unauthenticated = await rawExchange(port, rawRequest('POST /api/routes/user/x HTTP/1.1', { 'content-length': 1_000_000_000 }));
    expect(unauthenticated).toMatchObject({ status: 403, closed: true });
    expect(json(unauthenticated.body).error).toBe('missing or wrong Authorization: token <CONFIGPROXY_AUTH_TOKEN>');
    const authenticated = await rawExchange(port, rawRequest('POST /api/routes/user/x HTTP/1.1', { authorization: `token ${token}`, 'content-length': 1_000_000_000 }));
    expect(authenticated).toMatchObject({ status: 413, closed: true, headers: { connection: 'close' } });
    expect(json(authenticated.body)).toEqual({ status: 413, error: `body is larger than ${MAX} bytes` });
    expect(seen.length).toBe(before);
  });

  it('cuts a chunked body at the cap: 413, the handler never sees its end, and the connection closes', async () => {
    const before = seen.length;
    const a = await rawExchange(port, (socket) => {
      socket.write(rawRequest('POST /api/v1/previews HTTP/1.1', { 'transfer-encoding': 'chunked' }));
      for (let i = 0; i < 4; i++) socket.write(chunk(400));
      socket.write('0\r\n\r\n');
    });
    expect(a).toMatchObject({ status: 413, closed: true });
    expect(json(a.body).error).toBe(`body is larger than ${MAX} bytes`);
    expect(seen.slice(before)).toEqual([expect.objectContaining({ url: '/api/v1/previews', ended: false })]);
    expect(seen.at(-1)!.bytes).toBeLessThanOrEqual(MAX);
  });

  it('passes a chunked body within the cap, whole', async () => {
    const a = await rawExchange(port, (socket) => {
      socket.write(rawRequest('POST /api/v1/previews HTTP/1.1', { 'transfer-encoding': 'chunked' }));
      socket.write(chunk(500));
      socket.write(chunk(524));
      socket.write('0\r\n\r\n');
    });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ bytes: MAX });
  });

  it('passes the hub with its token and a unicode user', async () => {
    const body = JSON.stringify({ target: 'http://10.0.0.1:8888' });
    const a = await rawExchange(port, `${rawRequest('POST /api/routes/user/%E7%A7%80%E6%A8%B9 HTTP/1.1', { authorization: `token ${token}`, 'content-length': body.length })}${body}`);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ proxyApi: true, bytes: body.length });
    expect(servedByProxyApi.at(-1)).toBe('POST /api/routes/user/%E7%A7%80%E6%A8%B9');
  });

  it("leaves the proxy API's repeated-slash targets to Next, which redirects them", async () => {
    const before = servedByProxyApi.length;
    const a = await rawExchange(port, rawRequest('GET /api/routes//user/x HTTP/1.1', { authorization: `token ${token}` }));
    expect(JSON.parse(a.body)).toMatchObject({ bytes: 0 });
    expect(seen.at(-1)).toMatchObject({ url: '/api/routes//user/x' });
    expect(servedByProxyApi.length).toBe(before);
  });

  it('serves an upgrade request as a plain request, behind the front door', async () => {
    const refused = await rawExchange(port, rawRequest('GET /api/routes HTTP/1.1', { connection: 'upgrade', upgrade: 'websocket' }));
    expect(refused.status).toBe(403);
    const passed = await rawExchange(port, rawRequest('GET /healthz HTTP/1.1', { connection: 'upgrade', upgrade: 'websocket' }));
    expect(JSON.parse(passed.body)).toMatchObject({ upgrade: 'websocket' });
  });

  it('answers malformed HTTP framing with JSON', async () => {
    const badHeader = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n');
    expect(badHeader).toMatchObject({ status: 400, closed: true, headers: { 'content-type': 'application/json' } });
    expect(json(badHeader.body).error).toMatch(/^malformed HTTP request \(HPE_/);
    const hugeHeader = await rawExchange(port, rawRequest('GET /healthz HTTP/1.1', { 'x-big': 'a'.repeat(20_000) }));
    expect(hugeHeader.status).toBe(431);
  });

  it('answers 500 JSON when the app fails, and keeps serving', async () => {
    const a = await rawExchange(port, rawRequest('GET /throws HTTP/1.1'));
    expect(a).toMatchObject({ status: 500, closed: true });
    expect(json(a.body)).toEqual({ status: 500, error: 'internal error; see hubmesh logs' });
    expect((await rawExchange(port, rawRequest('GET /healthz HTTP/1.1'))).status).toBe(200);
  });

  it('survives a client that vanishes mid-body', async () => {
    await new Promise<void>((resolve) => {
      void rawExchange(port, (socket) => {
        socket.write(rawRequest('POST /api/v1/previews HTTP/1.1', { 'content-length': 1000 }));
        socket.write('x'.repeat(100));
        socket.resetAndDestroy();
        resolve();
      }).catch(() => undefined);
    });
    expect((await rawExchange(port, rawRequest('GET /healthz HTTP/1.1'))).status).toBe(200);
  });
});
