// The container image as a test sees it: built by scripts/image.sh (buildah's layer cache makes a
// rebuild of unchanged sources quick), inspected in buildah's storage, and run by scripts/image-run.sh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, run } from './cluster/harness';
import { freePort } from './hubmesh-process';

export const IMAGE_REF = 'localhost/hubmesh:local';
export const IMAGE_ARCHIVE = path.join(repoRoot, 'dist/hubmesh-image.oci.tar');

/** buildah on the storage scripts/image.sh builds into */
export function buildah(args: string[]): string {
  const storage = process.env.IMAGE_STORAGE ?? path.join(process.env.HUBMESH_CACHE ?? path.join(process.env.HOME!, '.cache/hubmesh'), 'image/storage');
  return run('buildah', ['--root', storage, '--runroot', process.env.IMAGE_RUNROOT ?? '/run/hubmesh-buildah', '--storage-driver', 'vfs', ...args]);
}

export type BuiltImage = { ref: string; archive: string; buildSeconds: number; summary: string };

/** Builds the image (or finds every layer cached) and exports it; throws with the build's log when it fails. */
export function ensureImage(): BuiltImage {
  const started = Date.now();
  const build = spawnSync('bash', [path.join(repoRoot, 'scripts/image.sh')], { encoding: 'utf8', timeout: 40 * 60_000, env: { ...process.env, IMAGE_REF, IMAGE_ARCHIVE } });
  const summary = `${build.stderr}${build.stdout}`.trim();
  if (build.status !== 0 || !existsSync(IMAGE_ARCHIVE)) throw new Error(`scripts/image.sh failed (${build.status ?? build.signal}):\n${summary}`);
  return { ref: IMAGE_REF, archive: IMAGE_ARCHIVE, buildSeconds: (Date.now() - started) / 1000, summary };
}

export type ImageConfig = { User?: string; Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string };

export function imageConfig(ref: string): ImageConfig {
  return (JSON.parse(buildah(['inspect', '--type', 'image', ref])) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
}

/** Mounts a throwaway working container of `ref` and hands its root to `inspect`. */
export function withImageRoot<T>(ref: string, inspect: (root: string) => T): T {
  const container = buildah(['from', '--pull=never', '--quiet', ref]).trim();
  try {
    return inspect(buildah(['mount', container]).trim());
  } finally {
    buildah(['rm', container]);
  }
}

export type RunningImage = {
  url: string;
  /** PID 1 of the container, as the host sees it */
  pid: number;
  /** milliseconds from the container's start (its PID 1 exists) to /readyz 200 */
  readyMs: number;
  /** milliseconds the runner took to set the container up (working container, mounts) before that */
  setupMs: number;
  output: () => string;
  /** SIGTERM to the container's PID 1 (as `docker stop` and the kubelet send it); its exit status and how long it took */
  terminate: () => Promise<{ code: number | null; ms: number }>;
};

/**
 * Runs `ref` with scripts/image-run.sh on a free port: the image's own CMD, env, user and rootfs, a
 * read-only root with tmpfs at `writable` (path → size), and `serviceAccountDir` where a kubelet
 * projects the ServiceAccount. Resolves once /readyz answers 200; throws with the output otherwise.
 */
export async function runImage(options: {
  ref: string;
  env: Record<string, string>;
  writable: Record<string, string>;
  serviceAccountDir?: string;
  pidFile: string;
  readyTimeoutMs?: number;
}): Promise<RunningImage> {
  const port = await freePort();
  const args = [path.join(repoRoot, 'scripts/image-run.sh'), '-p', options.pidFile];
  for (const [name, value] of Object.entries({ ...options.env, PORT: String(port) })) args.push('-e', `${name}=${value}`);
  for (const [target, size] of Object.entries(options.writable)) args.push('-w', `${target}:${size}`);
  if (options.serviceAccountDir) args.push('-s', options.serviceAccountDir);
  args.push(options.ref);

  const started = Date.now();
  let output = '';
  const child: ChildProcess = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = started + (options.readyTimeoutMs ?? 60_000);
  let readyMs: number | undefined;
  let containerStarted: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`the image exited with ${child.exitCode} during start-up:\n${output}`);
    if (containerStarted === undefined && existsSync(options.pidFile)) containerStarted = Date.now();
    try {
      if (containerStarted !== undefined && (await fetch(`${url}/readyz`)).status === 200) readyMs = Date.now() - containerStarted;
    } catch {
      // not listening yet
    }
    if (readyMs === undefined && Date.now() > deadline) {
      child.kill('SIGTERM');
      await exited;
      throw new Error(`the image was not ready after ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`);
    }
    if (readyMs === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  const pid = Number(readFileSync(options.pidFile, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`image-run.sh wrote no container pid:\n${output}`);
  return {
    url,
    pid,
    readyMs,
    setupMs: containerStarted! - started,
    output: () => output,
    terminate: async () => {
      const signalled = Date.now();
      process.kill(pid, 'SIGTERM');
      while (existsSync(`/proc/${pid}`) && Date.now() - signalled < 30_000) await new Promise((r) => setTimeout(r, 10));
      const ms = Date.now() - signalled;
      const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(kill);
      return { code, ms };
    },
  };
}
