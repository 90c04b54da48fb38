import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config';
import { connectionMode } from './mode';

describe('connectionMode', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-mode-'));
    vi.stubEnv('HOME', home);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(home, { recursive: true, force: true });
  });
  const kubeconfig = () => {
    const file = path.join(home, 'kubeconfig');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    return file;
  };

  it('is local, with the data dir made absolute, when nothing points at a cluster', () => {
    expect(connectionMode(parseConfig({ HUBMESH_DATA_DIR: 'some/dir' }), {})).toEqual({ mode: 'local', dataDir: path.resolve('some/dir') });
  });

  it('is cluster when KUBECONFIG names files, even ones that are missing (connecting reports those)', () => {
    expect(connectionMode(parseConfig({ KUBECONFIG: kubeconfig() }), {})).toEqual({ mode: 'cluster' });
    expect(connectionMode(parseConfig({ KUBECONFIG: path.join(home, 'missing') }), {})).toEqual({ mode: 'cluster' });
  });

  it('is cluster when ~/.kube/config exists', () => {
    mkdirSync(path.join(home, '.kube'));
    writeFileSync(path.join(home, '.kube', 'config'), '');
    expect(connectionMode(parseConfig({}), {})).toEqual({ mode: 'cluster' });
  });

  // (run inside a pod, the token is there)
  it.skipIf(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))('needs the service account token, not only KUBERNETES_SERVICE_HOST, to count as in a pod', () => {
    expect(connectionMode(parseConfig({}), { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toMatchObject({ mode: 'local' });
  });

  it('stays local when local mode is asked for, whatever kubeconfig there is', () => {
    expect(connectionMode(parseConfig({ HUBMESH_MODE: 'local', KUBECONFIG: kubeconfig() }), {})).toMatchObject({ mode: 'local' });
  });

  it('refuses cluster mode without a kubeconfig, in one line', () => {
    expect(() => connectionMode(parseConfig({ HUBMESH_MODE: 'cluster' }), {})).toThrow(/^config: HUBMESH_MODE is cluster, but no kubeconfig was found/);
  });
});
