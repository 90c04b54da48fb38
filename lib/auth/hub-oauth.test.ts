import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  createState,
  exchangeCode,
  fetchHubUser,
  HubOAuthError,
  STATE_TTL_SECONDS,
  verifyState,
  type HubOAuthConfig,
} from './hub-oauth';

const secret = 'a-session-secret-that-is-long-enough-0123';

describe('state', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');

  it('round-trips the next path for the browser that holds the nonce, until it expires', () => {
    const { state, nonce } = createState(secret, '/previews?x=1', now);
    expect(verifyState(secret, state, nonce, now)).toEqual({ next: '/previews?x=1' });
    expect(verifyState(secret, state, nonce, now + (STATE_TTL_SECONDS - 1) * 1000)).toEqual({ next: '/previews?x=1' });
    expect(() => verifyState(secret, state, nonce, now + STATE_TTL_SECONDS * 1000)).toThrow(/took too long/);
  });

  it('does not carry the nonce itself', () => {
    const { state, nonce } = createState(secret, '/', now);
    expect(Buffer.from(state.split('.')[0]!, 'base64url').toString()).not.toContain(nonce);
  });

  it('checks next when the state is made', () => {
    for (const next of ['//evil.example', '/\\evil.example', '/a/..//evil.example']) {
      const { state, nonce } = createState(secret, next, now);
      expect(JSON.parse(Buffer.from(state.split('.')[0]!, 'base64url').toString()).next).toBe('/');
      expect(verifyState(secret, state, nonce, now)).toEqual({ next: '/' });
    }
  });

  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error('expected a refusal');
  };

  it('refuses another browser, forged or missing states with a 400', () => {
    const { state, nonce } = createState(secret, '/', now);
    const other = createState(secret, '/', now);
    const [payload, signature] = state.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ n: 'x', next: '//evil.example', exp: 9e9 })).toString('base64url');
    const cases: Array<[string | undefined, string | undefined, RegExp]> = [
      [state, other.nonce, /another browser/],
      [state, undefined, /no nonce cookie/],
      [undefined, nonce, /no state/],
      [`${forgedPayload}.${signature}`, nonce, /not signed/],
      [`${payload}.${signature}.x`, nonce, /malformed/],
      [payload, nonce, /malformed/],
    ];
    for (const [s, n, why] of cases) {
      const error = refusal(() => verifyState(secret, s, n, now));
      expect(error).toBeInstanceOf(HubOAuthError);
      expect((error as HubOAuthError).status).toBe(400);
      expect((error as HubOAuthError).message).toMatch(why);
    }
    expect(() => verifyState('another-secret-that-is-long-enough-000', state, nonce, now)).toThrow(/not signed/);
  });
});

const baseConfig: HubOAuthConfig = {
  hubUrl: 'https://hub.example.org/jhub/',
  hubApiUrl: 'http://127.0.0.1:1/hub/api',
  clientId: 'service-hubmesh',
  clientSecret: 'the-service-api-token',
  redirectUri: 'https://hub.example.org/hubmesh/oauth_callback',
  adminGroups: [],
  readOnlyGroups: [],
};

describe('authorizeUrl', () => {
  it("points at the hub's authorize endpoint under its base URL", () => {
    const url = new URL(authorizeUrl(baseConfig, 'the.state'));
    expect(url.origin + url.pathname).toBe('https://hub.example.org/jhub/hub/api/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'service-hubmesh',
      redirect_uri: 'https://hub.example.org/hubmesh/oauth_callback',
      response_type: 'code',
      state: 'the.state',
    });
    expect(authorizeUrl({ ...baseConfig, hubUrl: 'https://hub.example.org' }, 's')).toMatch(/^https:\/\/hub\.example\.org\/hub\/api\/oauth2\/authorize\?/);
  });
});

/** The error paths, against a local HTTP server that answers as told (the happy path runs against a real hub in test/hub-oauth.test.ts). */
describe('calls to the hub', () => {
  type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };
  let answer: (seen: Seen, res: http.ServerResponse) => void = (_, res) => res.end();
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      answer(s, res);
    });
  });
  let config: HubOAuthConfig;
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    config = { ...baseConfig, hubApiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub/api/`, timeoutMs: 300 };
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the code as the form JupyterHub expects and returns the access token', async () => {
    answer = (_, res) => json(res, 200, { access_token: 'tok', token_type: 'Bearer', scope: 'identify' });
    await expect(exchangeCode(config, 'the-code')).resolves.toBe('tok');
    const request = seen.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hub/api/oauth2/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: config.redirectUri,
      client_id: 'service-hubmesh',
      client_secret: 'the-service-api-token',
    });
  });

  it('maps a refused code to 403, refused client credentials to 502, a failing hub to 503 and a strange answer to 502', async () => {
    await expect(exchangeCode(config, '')).rejects.toMatchObject({ kind: 'bad-code', status: 403 });
    answer = (_, res) => json(res, 400, { error: 'invalid_grant' });
    await expect(exchangeCode(config, 'old-code')).rejects.toMatchObject({ kind: 'bad-code', status: 403, message: expect.stringMatching(/invalid_grant/) });
    answer = (_, res) => json(res, 401, { status: 401, message: 'Client authentication failed.' });
    await expect(exchangeCode(config, 'c')).rejects.toMatchObject({ kind: 'client-rejected', status: 502, message: expect.stringMatching(/api_token/) });
    answer = (_, res) => json(res, 500, { status: 500, message: 'boom' });
    await expect(exchangeCode(config, 'c')).rejects.toMatchObject({ kind: 'hub-unreachable', status: 503 });
    answer = (_, res) => json(res, 200, { token_type: 'Bearer' });
    await expect(exchangeCode(config, 'c')).rejects.toMatchObject({ kind: 'hub-error', status: 502 });
    answer = (_, res) => {
      res.writeHead(302, { location: '/hub/login' });
      res.end();
    };
    await expect(exchangeCode(config, 'c')).rejects.toMatchObject({ kind: 'hub-error', status: 502 });
  });

  it('reads the user with the token and validates the model', async () => {
    answer = (_, res) => json(res, 200, { kind: 'user', name: 'alice', admin: false, groups: ['hubmesh-viewers'], scopes: [] });
    await expect(fetchHubUser(config, 'tok')).resolves.toEqual({ name: 'alice', admin: false, groups: ['hubmesh-viewers'] });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/hub/api/user', headers: { authorization: 'token tok' } });

    answer = (_, res) => json(res, 200, { kind: 'user', name: 'alice', admin: false });
    await expect(fetchHubUser(config, 'tok')).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/read:users:groups!user/) });
    answer = (_, res) => json(res, 403, { status: 403, message: 'Forbidden' });
    await expect(fetchHubUser(config, 'tok')).rejects.toMatchObject({ kind: 'bad-token', status: 403 });
  });

  it('gives up on a hub that does not answer, and on one that is not there, with 503', async () => {
    answer = () => undefined;
    const started = Date.now();
    await expect(fetchHubUser(config, 'tok')).rejects.toMatchObject({ kind: 'hub-unreachable', status: 503, message: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(exchangeCode(baseConfig, 'c')).rejects.toMatchObject({ kind: 'hub-unreachable', status: 503 });
  });
});
