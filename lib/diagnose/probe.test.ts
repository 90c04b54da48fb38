import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeGate, probeRoute, type ProbeResult } from './probe';

describe('probeRoute', () => {
  let server: http.Server;
  let url: string;
  const seen: Array<{ path: string | undefined; host: string | undefined; authorization: string | undefined }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url, host: req.headers.host, authorization: req.headers.authorization });
      res.writeHead(302, { location: '/hub/login', 'x-hubmesh-route': 'hubmesh-user-alice-1' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends one request without credentials, with the Host given, and does not follow the redirect', async () => {
    const result = await probeRoute({ gatewayUrl: url, host: 'hub.example.org', path: '/user/alice/', expectedRoute: 'hubmesh-user-alice-1', now: Date.now });
    expect(result).toMatchObject({ status: 302, routeHeader: 'hubmesh-user-alice-1', matches: true, host: 'hub.example.org', url: `${url}/user/alice/` });
    expect(result.timeMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual([{ path: '/user/alice/', host: 'hub.example.org', authorization: undefined }]);
    expect((await probeRoute({ gatewayUrl: url, host: undefined, path: '/user/alice/', expectedRoute: 'other', now: Date.now })).matches).toBe(false);
  });

  it('reports a gateway it cannot reach as a result with the reason, never a rejection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await probeRoute({ gatewayUrl: `http://127.0.0.1:${port}`, host: undefined, path: '/user/alice/', expectedRoute: 'x', now: Date.now });
    expect(result).toMatchObject({ status: null, routeHeader: null, matches: false, error: 'the gateway could not be reached: ECONNREFUSED' });
  });
});

describe('ProbeGate', () => {
  const result = (status: number): ProbeResult => ({ url: 'u', host: undefined, status, routeHeader: null, expectedRoute: 'x', matches: false, timeMs: 1, at: 'now' });

  it("lets one probe per user run: the same server's callers share it, another server waits its turn", async () => {
    const gate = new ProbeGate();
    let release: (r: ProbeResult) => void = () => {};
    let runs = 0;
    const slow = () => {
      runs++;
      return new Promise<ProbeResult>((resolve) => (release = resolve));
    };
    const first = gate.run('alice', '', slow);
    const second = gate.run('alice', '', slow);
    expect(() => gate.run('alice', 'lab', slow)).toThrow(expect.objectContaining({ status: 409, code: 'conflict' }));
    const bob = gate.run('bob', '', async () => result(200));
    release(result(302));
    expect(await first).toEqual(result(302));
    expect(await second).toBe(await first);
    expect((await bob).status).toBe(200);
    expect(runs).toBe(1);
    expect((await gate.run('alice', 'lab', async () => result(204))).status).toBe(204);
  });
});
