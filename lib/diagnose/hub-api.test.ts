import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askHubAboutUser } from './hub-api';

/** A stand-in for the hub's REST API that answers by the user's name, recording what it was sent. */
describe('askHubAboutUser', () => {
  let server: http.Server;
  let apiUrl: string;
  const seen: Array<{ url: string | undefined; authorization: string | undefined }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      const name = decodeURIComponent(req.url!.split('/').pop()!);
      if (name === 'alice@x') return res.writeHead(200).end(JSON.stringify({ name, admin: false, servers: { '': { name: '', url: '/jhub/user/alice@x/', ready: true, pending: null, started: 'x' } } }));
      if (name === 'noscope') return res.writeHead(200).end(JSON.stringify({ name }));
      if (name === 'refused') return res.writeHead(403).end('{}');
      if (name === 'garbled') return res.writeHead(200).end('<html>');
      res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/jhub/hub/api/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads the user's servers with the service token", async () => {
    expect(await askHubAboutUser({ apiUrl, token: 'secret-token' }, 'alice@x')).toEqual({ state: 'ok', user: { name: 'alice@x', servers: { '': { name: '', url: '/jhub/user/alice@x/', ready: true, pending: null } } } });
    expect(seen[0]).toEqual({ url: '/jhub/hub/api/users/alice%40x', authorization: 'token secret-token' });
  });

  it('tells an unknown user, a user without servers, and a hub that refuses or garbles apart', async () => {
    expect(await askHubAboutUser({ apiUrl, token: 't' }, 'nobody')).toEqual({ state: 'ok', user: undefined });
    expect(await askHubAboutUser({ apiUrl, token: 't' }, 'noscope')).toEqual({ state: 'ok', user: { name: 'noscope', servers: undefined } });
    expect(await askHubAboutUser({ apiUrl, token: 't' }, 'refused')).toMatchObject({ state: 'unavailable', message: expect.stringContaining('refused hubmesh\'s token (403)') });
    expect(await askHubAboutUser({ apiUrl, token: 't' }, 'garbled')).toMatchObject({ state: 'unavailable', message: expect.stringContaining('unexpected body') });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const down = `http://127.0.0.1:${(closed.address() as net.AddressInfo).port}/hub/api`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await askHubAboutUser({ apiUrl: down, token: 't' }, 'alice')).toEqual({ state: 'unavailable', message: `JupyterHub at ${down} is unreachable: ECONNREFUSED` });
  });
});
