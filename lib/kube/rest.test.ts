import { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeRest } from './rest';

// A stand-in apiserver that records the bearer token of each request and accepts only `accepted`;
// watch requests are answered by `watchAnswer`.
let accepted = 'token-a';
const seen: string[] = [];
let watchAnswer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end();
const server = http.createServer((req, res) => {
  if (req.url?.includes('watch=true')) return watchAnswer(req, res);
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  seen.push(token);
  res.writeHead(token === accepted ? 200 : 401, { 'content-type': 'application/json' });
  res.end(JSON.stringify(token === accepted ? { kind: 'Status', status: 'Success' } : { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }));
});

function kubeConfig(token: string): KubeConfig {
  const kc = new KubeConfig();
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('KubeRest authentication', () => {
  it('reuses the credentials between calls, and takes new ones after the apiserver answers 401', async () => {
    const kc = kubeConfig('token-a');
    const rest = new KubeRest(kc);
    await rest.request({ method: 'GET', path: '/api' });
    // the credential rotates (a refreshed service-account token); the old one is still reused...
    (kc.users[0] as { token: string }).token = 'token-b';
    accepted = 'token-b';
    await expect(rest.request({ method: 'GET', path: '/api' })).rejects.toMatchObject({ status: 401, reason: 'Unauthorized' });
    // ...until the 401, after which the next call reads the new one
    await rest.request({ method: 'GET', path: '/api' });
    expect(seen).toEqual(['token-a', 'token-a', 'token-b']);
  });
});

type Seen = { events: [string, unknown][]; closed: Promise<unknown> };

function openWatch(rest: KubeRest, query: Record<string, string> = {}): Promise<Seen & { stop(): void }> {
  const events: [string, unknown][] = [];
  let onClose!: (error: unknown) => void;
  const closed = new Promise<unknown>((resolve) => (onClose = resolve));
  return rest.watch('/apis/x/v1/namespaces/n/things', query, (type, object) => events.push([type, object]), onClose).then((handle) => ({ events, closed, stop: handle.stop }));
}

describe('KubeRest watch', () => {
  it('delivers each JSON line as one event, however the stream is cut, and ends cleanly when the server ends it', async () => {
    let url = '';
    watchAnswer = (req, res) => {
      url = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      const big = { metadata: { name: 'big', resourceVersion: '3' }, data: 'x'.repeat(200_000) };
      const stream = `{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}\n\n{"type":"MODI` +
        `FIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n${JSON.stringify({ type: 'ADDED', object: big })}\n` +
        `{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"4"}}}\n`;
      // cut at odd places: inside a line, at a line end, through the large object
      const cuts = [10, 77, 78, 5_000, 150_000, stream.length];
      let from = 0;
      const next = () => {
        const to = cuts.shift();
        if (to === undefined) return res.end();
        res.write(stream.slice(from, to));
        from = to;
        setTimeout(next, 2);
      };
      next();
    };
    accepted = 'token-w';
    const seen = await openWatch(new KubeRest(kubeConfig('token-w')), { resourceVersion: '1', labelSelector: 'app=x' });
    expect(await seen.closed).toBeUndefined();
    expect(seen.events.map(([type, object]) => [type, (object as { metadata: { resourceVersion: string } }).metadata.resourceVersion])).toEqual([
      ['ADDED', '1'],
      ['MODIFIED', '2'],
      ['ADDED', '3'],
      ['BOOKMARK', '4'],
    ]);
    expect((seen.events[2]?.[1] as { data: string }).data).toHaveLength(200_000);
    const query = new URL(url, 'http://x').searchParams;
    expect([query.get('watch'), query.get('resourceVersion'), query.get('labelSelector')]).toEqual(['true', '1', 'app=x']);
  });

  it('passes an ERROR event on, and closes with the Status of a refused watch', async () => {
    watchAnswer = (_req, res) => {
      res.writeHead(200);
      res.end('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}}\n');
    };
    accepted = 'token-w';
    const rest = new KubeRest(kubeConfig('token-w'));
    const streamed = await openWatch(rest);
    await streamed.closed;
    expect(streamed.events).toEqual([['ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }]]);

    watchAnswer = (_req, res) => {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'Expired', message: 'resource version too old' }));
    };
    const refused = await openWatch(rest);
    expect(await refused.closed).toMatchObject({ status: 410, reason: 'Expired', message: 'resource version too old' });
    expect(refused.events).toEqual([]);
  });

  it('closes with an error on a line that is not JSON, and with none when the caller stops it', async () => {
    watchAnswer = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\nnot json\n');
    };
    accepted = 'token-w';
    const rest = new KubeRest(kubeConfig('token-w'));
    const broken = await openWatch(rest);
    expect(await broken.closed).toMatchObject({ status: 502, reason: 'BadWatchEvent' });
    expect(broken.events).toEqual([['ADDED', {}]]);

    let stopped = false;
    watchAnswer = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
      res.on('close', () => (stopped = true));
    };
    const open = await openWatch(rest);
    let closedWith: unknown = 'not closed';
    void open.closed.then((error) => (closedWith = error));
    await expect.poll(() => open.events.length).toBe(1);
    open.stop();
    // stopping ends the connection, and is not reported as the watch closing
    await expect.poll(() => stopped).toBe(true);
    expect(closedWith).toBe('not closed');
  });
});
