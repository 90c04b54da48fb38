import { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeRest } from './rest';

// A stand-in apiserver that records the bearer token of each request and accepts only `accepted`.
let accepted = 'token-a';
const seen: string[] = [];
const server = http.createServer((req, res) => {
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
