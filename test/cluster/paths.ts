import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** Values from scripts/cluster/lib.sh, so tests and scripts agree on where the cluster lives. */
export function clusterPaths(): { adminKubeconfig: string; appKubeconfig: string; logDir: string } {
  const out = execFileSync(
    'bash',
    ['-c', '. scripts/cluster/lib.sh && printf "%s\\n%s\\n%s\\n" "$ADMIN_KUBECONFIG" "$APP_KUBECONFIG" "$LOG_DIR"'],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  const [adminKubeconfig, appKubeconfig, logDir] = out.trim().split('\n') as [string, string, string];
  return { adminKubeconfig, appKubeconfig, logDir };
}
