import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { serverEntryIn } from '../scripts/server-process.mjs';
import { repoRoot } from './cluster/harness';
import { freePort, startHubmesh } from './hubmesh-process';

/** Runs the built server with an environment and returns how it ended and what it printed. */
async function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [serverEntryIn(repoRoot), '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

const configLines = (output: string) => output.split('\n').filter((l) => l.startsWith('config: '));
const shortTokenWarnings = (output: string) => output.split('\n').filter((l) => l.includes('CONFIGPROXY_AUTH_TOKEN is shorter than 16 characters'));

describe('start-up', () => {
  it('stops with one line naming the variable when a setting is wrong', async () => {
    const { code, output } = await runServer({ HUBMESH_MODE: 'local', HUBMESH_NAMESPACE: 'Not_A_Namespace', HUBMESH_DATA_DIR: '/tmp/hubmesh-startup-test' });
    expect(code).toBe(1);
    expect(configLines(output)).toEqual(['config: HUBMESH_NAMESPACE must be a DNS-1123 label (lower-case letters, digits and "-") (got "Not_A_Namespace")']);
  });

  it('refuses cluster mode without a proxy token', async () => {
    const { code, output } = await runServer({ KUBECONFIG: inject('appKubeconfig') });
    expect(code).toBe(1);
    expect(configLines(output)).toEqual(["config: CONFIGPROXY_AUTH_TOKEN must be set (the same value as the hub's ConfigurableHTTPProxy.auth_token)"]);
  });

  it('refuses the no-auth dev flag outside local mode', async () => {
    const { code, output } = await runServer({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_DEV_NO_AUTH: 'true' });
    expect(code).toBe(1);
    expect(configLines(output)).toEqual(['config: HUBMESH_DEV_NO_AUTH is only allowed in local mode; set CONFIGPROXY_AUTH_TOKEN']);
  });

  it('says which mode it runs in, in its log', async () => {
    const hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: 'startup' });
    try {
      const line = hm.output().split('\n').find((l) => l.includes('hubmesh started in cluster mode'));
      expect(JSON.parse(line!)).toMatchObject({ mode: 'cluster', namespace: 'jupyterhub', prefix: 'startup', proxyAuth: 'env', server: expect.stringMatching(/^https:\/\/127\.0\.0\.1:/) });
      expect(shortTokenWarnings(hm.output())).toEqual([]);
    } finally {
      await hm.stop();
    }
  });

  it('starts with a short proxy token, as configurable-http-proxy does, and warns once without printing it', async () => {
    const token = 'Tiny!';
    const hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: 'startup-short', token });
    try {
      const warnings = shortTokenWarnings(hm.output());
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, length: 5, minimum: 16, msg: expect.stringContaining('openssl rand -hex 32') });
      expect(hm.output()).not.toContain(token);
      expect((await hm.api('/api/routes')).status).toBe(200);
      expect((await fetch(`${hm.url}/api/routes`, { headers: { authorization: 'token Tiny' } })).status).toBe(403);
    } finally {
      await hm.stop();
    }
  });

  it('`npm start` becomes the server: one process, the one that listens and gets the signals', async () => {
    // the server bundle looks stale, so `npm start` builds it first (the build must leave no process behind)
    const serverBundle = serverEntryIn(repoRoot);
    utimesSync(serverBundle, new Date(0), new Date(0));
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-launcher-'));
    const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs', '--mode', 'local', '--data-dir', dataDir, '--port', String(port), '--hostname', '127.0.0.1'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', CONFIGPROXY_AUTH_TOKEN: 'launcher-test-token-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('hubmesh listening')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // the launched pid is the server itself, with the server's Node flags, and it has no children
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain(serverBundle);
      expect(statSync(serverBundle).mtimeMs).toBeGreaterThan(Date.now() - 120_000);
      expect(cmdline.some((arg) => arg.startsWith('--max-old-space-size='))).toBe(true);
      expect(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()).toBe('');
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 143, signal: null });
      expect(output).toContain('hubmesh stopping');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
