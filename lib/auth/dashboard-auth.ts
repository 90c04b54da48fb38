import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { persistedSecret } from './persisted-secret';

export type DashboardAuth = {
  /** the token admins sign in with; undefined: sign-in is not configured */
  adminToken: string | undefined;
  adminTokenSource: 'env' | 'generated' | 'unset';
  sessionSecret: string;
  /** a per-process secret: sessions end with the process and do not cross replicas */
  ephemeralSecret: boolean;
  ttlSeconds: number;
};

/** Local mode makes what is unset and keeps it in the data dir; cluster mode takes them from the environment (a Secret). */
export function resolveDashboardAuth(config: Config, mode: 'cluster' | 'local', dataDir: string | undefined): DashboardAuth {
  const local = mode === 'local' && dataDir !== undefined;
  const adminToken = config.dashboard.adminToken ?? (local ? persistedSecret(dataDir, 'admin-token') : undefined);
  const sessionSecret = config.dashboard.sessionSecret ?? (local ? persistedSecret(dataDir, 'session-secret') : undefined);
  return {
    adminToken,
    adminTokenSource: config.dashboard.adminToken ? 'env' : adminToken ? 'generated' : 'unset',
    sessionSecret: sessionSecret ?? randomBytes(32).toString('hex'),
    ephemeralSecret: sessionSecret === undefined,
    ttlSeconds: config.dashboard.sessionTtlSeconds,
  };
}
