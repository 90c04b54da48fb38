import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubOAuthConfig } from './hub-oauth';
import { askHub, HubRoleRechecker, recheckVerdict, type RecheckOutcome } from './hub-recheck';

describe('recheckVerdict', () => {
  it('keeps a session whose role the hub still gives, and ends one whose role changed, went away or whose token is refused', () => {
    expect(recheckVerdict('admin', { kind: 'answered', role: 'admin' })).toBe('keep');
    expect(recheckVerdict('viewer', { kind: 'answered', role: 'viewer' })).toBe('keep');
    expect(recheckVerdict('admin', { kind: 'answered', role: 'viewer' })).toBe('end');
    expect(recheckVerdict('viewer', { kind: 'answered', role: 'admin' })).toBe('end');
    expect(recheckVerdict('admin', { kind: 'answered', role: undefined })).toBe('end');
    expect(recheckVerdict('admin', { kind: 'refused' })).toBe('end');
  });

  it('does not end a session because the hub cannot be asked', () => {
    expect(recheckVerdict('admin', { kind: 'unavailable', error: 'down' })).toBe('unverified');
  });
});

describe('HubRoleRechecker', () => {
  const t0 = Date.parse('2026-11-24T10:00:00Z');
  const session = { sid: 'AAAAAAAAAAAAAAAAAAAAAA', sub: 'hub:ann', role: 'admin' as const, iat: t0, exp: t0 / 1000 + 3600 };

  function rechecker(answers: Array<RecheckOutcome | Error>) {
    let now = t0;
    const asked: string[] = [];
    const ended: string[] = [];
    const logged: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
    let release: (() => void) | undefined;
    const r = new HubRoleRechecker({
      intervalMs: 60_000,
      ask: async (token) => {
        asked.push(token);
        await new Promise<void>((resolve) => (release = resolve));
        const answer = answers.shift()!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      onEnded: async (s) => void ended.push(s.sid),
      log,
      now: () => now,
    });
    return {
      r,
      asked,
      ended,
      logged,
      advance: (ms: number) => (now += ms),
      /** answers the hub call in flight, once it has been made */
      answer: async () => {
        while (!release) await new Promise((resolve) => setImmediate(resolve));
        release();
        release = undefined;
      },
    };
  }

  it('asks nothing within an interval of sign-in, then asks once for a whole burst of requests', async () => {
    const h = rechecker([{ kind: 'answered', role: 'admin' }]);
    h.advance(59_999);
    expect(await h.r.verdict(session, 'tok')).toBe('keep');
    expect(h.asked).toEqual([]);
    h.advance(1);
    const burst = Array.from({ length: 5 }, () => h.r.verdict(session, 'tok'));
    await h.answer();
    expect(await Promise.all(burst)).toEqual(['keep', 'keep', 'keep', 'keep', 'keep']);
    expect(h.asked).toEqual(['tok']);
    // the next check is an interval after this one
    h.advance(59_999);
    expect(await h.r.verdict(session, 'tok')).toBe('keep');
    expect(h.asked).toHaveLength(1);
  });

  it('ends the session when the role changed: records it once, and answers end from then on without asking', async () => {
    const h = rechecker([{ kind: 'answered', role: 'viewer' }]);
    h.advance(60_000);
    const burst = [h.r.verdict(session, 'tok'), h.r.verdict(session, 'tok')];
    await h.answer();
    expect(await Promise.all(burst)).toEqual(['end', 'end']);
    expect(h.ended).toEqual([session.sid]);
    h.advance(600_000);
    expect(await h.r.verdict(session, 'tok')).toBe('end');
    expect(h.asked).toHaveLength(1);
    expect(h.logged).toContain("the hub no longer gives this user the session's role: session ended");
  });

  it('keeps the session when the hub cannot be asked, says so, and asks again an interval later', async () => {
    const h = rechecker([{ kind: 'unavailable', error: 'hub down' }, new Error('socket hang up'), { kind: 'refused' }]);
    h.advance(60_000);
    let pending = h.r.verdict(session, 'tok');
    await h.answer();
    expect(await pending).toBe('keep');
    expect(h.logged).toContain('could not re-check a hub session with the hub; it stays valid until the next check');
    expect(await h.r.verdict(session, 'tok')).toBe('keep');
    expect(h.asked).toHaveLength(1);
    h.advance(60_000);
    pending = h.r.verdict(session, 'tok');
    await h.answer();
    expect(await pending).toBe('keep');
    h.advance(60_000);
    pending = h.r.verdict(session, 'tok');
    await h.answer();
    expect(await pending).toBe('end');
    expect(h.asked).toHaveLength(3);
  });

  it('ends the session here even when recording it for the other replicas fails', async () => {
    const logged: string[] = [];
    const r = new HubRoleRechecker({
      intervalMs: 1000,
      ask: async () => ({ kind: 'refused' }),
      onEnded: async () => {
        throw new Error('apiserver unreachable');
      },
      log: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) }),
      now: () => t0 + 1000,
    });
    expect(await r.verdict(session, 'tok')).toBe('end');
    expect(await r.verdict(session, 'tok')).toBe('end');
    expect(logged).toContain('could not record the ended session for the other replicas; each ends it at its own re-check');
  });
});

/** askHub against a local server that answers as JupyterHub's /user would (the real hub: test/hub-oauth.test.ts). */
describe('askHub', () => {
  let answer: (res: http.ServerResponse) => void = (res) => res.end();
  const server = http.createServer((_req, res) => answer(res));
  let config: HubOAuthConfig;
  const json = (status: number, body: unknown) => (res: http.ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    config = {
      hubUrl: 'http://hub.invalid/',
      hubApiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub/api`,
      clientId: 'service-hubmesh',
      clientSecret: 'the-service-api-token',
      redirectUri: 'http://hubmesh.invalid/login/hub/callback',
      adminGroups: ['ops'],
      readOnlyGroups: ['watchers'],
      timeoutMs: 300,
    };
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("maps the hub's answer to a role as sign-in does", async () => {
    answer = json(200, { name: 'ann', admin: true, groups: [] });
    await expect(askHub(config)('tok')).resolves.toEqual({ kind: 'answered', role: 'admin' });
    answer = json(200, { name: 'ann', admin: false, groups: ['watchers'] });
    await expect(askHub(config)('tok')).resolves.toEqual({ kind: 'answered', role: 'viewer' });
    answer = json(200, { name: 'ann', admin: false, groups: [] });
    await expect(askHub(config)('tok')).resolves.toEqual({ kind: 'answered', role: undefined });
  });

  it('tells a refused token from a hub that cannot answer', async () => {
    answer = json(403, { status: 403, message: 'Forbidden' });
    await expect(askHub(config)('tok')).resolves.toEqual({ kind: 'refused' });
    answer = json(503, { status: 503, message: 'down for maintenance' });
    await expect(askHub(config)('tok')).resolves.toMatchObject({ kind: 'unavailable', error: expect.stringMatching(/503/) });
    answer = () => undefined;
    await expect(askHub(config)('tok')).resolves.toMatchObject({ kind: 'unavailable', error: expect.stringMatching(/no answer within 300 ms/) });
  });
});
