import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
  it('has defaults that start local mode discovery', () => {
    expect(parseConfig({})).toEqual({
      mode: 'auto',
      dataDir: '.hubmesh-data',
      namespace: undefined,
      kubeconfig: undefined,
      logLevel: 'info',
      logPretty: false,
    });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        HUBMESH_MODE: 'cluster',
        HUBMESH_DATA_DIR: '/var/lib/hubmesh',
        HUBMESH_NAMESPACE: 'jupyterhub',
        KUBECONFIG: '/etc/kube/config',
        HUBMESH_LOG_LEVEL: 'debug',
        HUBMESH_LOG_PRETTY: 'true',
      }),
    ).toEqual({
      mode: 'cluster',
      dataDir: '/var/lib/hubmesh',
      namespace: 'jupyterhub',
      kubeconfig: '/etc/kube/config',
      logLevel: 'debug',
      logPretty: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ HUBMESH_MODE: '', HUBMESH_NAMESPACE: '' }).mode).toBe('auto');
  });

  it.each([
    [{ HUBMESH_MODE: 'kubernetes' }, 'config: HUBMESH_MODE must be auto, cluster or local (got "kubernetes")'],
    [{ HUBMESH_NAMESPACE: 'Jupyter_Hub' }, 'config: HUBMESH_NAMESPACE must be a DNS-1123 label (lower-case letters, digits and "-") (got "Jupyter_Hub")'],
    [{ HUBMESH_NAMESPACE: 'a'.repeat(64) }, `config: HUBMESH_NAMESPACE must be at most 63 characters (got "${'a'.repeat(64)}")`],
    [{ HUBMESH_LOG_LEVEL: 'verbose' }, 'config: HUBMESH_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [{ HUBMESH_LOG_PRETTY: 'maybe' }, 'config: HUBMESH_LOG_PRETTY must be true or false (got "maybe")'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
    try {
      parseConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
