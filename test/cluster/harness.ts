import { execFileSync, spawnSync } from 'node:child_process';
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

/**
 * Reuses a running test control plane or builds and starts one. Throws when it cannot: callers
 * that need the cluster fail loudly instead of skipping.
 */
export function ensureCluster(who: string): ReturnType<typeof clusterPaths> {
  // up.sh is idempotent: it reuses running parts (about 4 s) and always re-applies the bootstrap objects,
  // CRDs and the app identity's RBAC, so a changed manifest is what the tests run under
  const running = spawnSync('bash', ['scripts/cluster/status.sh'], { cwd: repoRoot, encoding: 'utf8' }).status === 0;
  if (!running) console.log(`${who}: no control plane running; starting one with scripts/cluster/up.sh`);
  const up = spawnSync('bash', ['scripts/cluster/up.sh'], { cwd: repoRoot, stdio: ['ignore', running ? 'ignore' : 'inherit', 'inherit'] });
  if (up.status !== 0) {
    throw new Error(`${who}: scripts/cluster/up.sh failed (exit ${up.status}); the real control plane is required, see its output above`);
  }
  if (!running) console.log(`${who}: the control plane stays up for the next run; \`npm run cluster:down\` stops it`);
  return clusterPaths();
}

/** The kubectl built with the test control plane (scripts/cluster/lib.sh knows where). */
export const kubectlPath = () => execFileSync('bash', ['-c', '. scripts/cluster/lib.sh && printf %s "$K8S_BIN_DIR/kubectl"'], { cwd: repoRoot, encoding: 'utf8' });

/** Runs a command and returns its stdout; throws with its exit status, stderr and stdout when it fails. */
export function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** kubectl as the identity of `kubeconfig`: `(args, stdin?) => stdout`, throwing when kubectl fails. */
export function kubectlWith(kubeconfig: string): (args: string[], input?: string) => string {
  const kubectl = kubectlPath();
  return (args, input) => run(kubectl, ['--kubeconfig', kubeconfig, ...args], input);
}
