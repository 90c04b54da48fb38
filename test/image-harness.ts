// The container image as a test sees it: built by scripts/image.sh (buildah's layer cache makes a
// rebuild of unchanged sources quick), inspected in buildah's storage, and run by scripts/image-run.sh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clusterPaths, kubectlWith, repoRoot, run } from './cluster/harness';
import type { HelmRelease, KubeObject } from './helm';
import { freePort } from './hubmesh-process';

export const IMAGE_REF = 'localhost/hubmesh:local';
export const IMAGE_ARCHIVE = path.join(repoRoot, 'dist/hubmesh-image.oci.tar');

/** buildah on the storage scripts/image.sh builds into */
export function buildah(args: string[]): string {
  const storage = process.env.IMAGE_STORAGE ?? path.join(process.env.HUBMESH_CACHE ?? path.join(process.env.HOME!, '.cache/hubmesh'), 'image/storage');
  return run('buildah', ['--root', storage, '--runroot', process.env.IMAGE_RUNROOT ?? '/run/hubmesh-buildah', '--storage-driver', 'vfs', ...args]);
}

export type BuiltImage = { ref: string; archive: string; buildSeconds: number; summary: string };

/**
 * Builds the image (or finds every layer cached, which still takes a minute with vfs storage) and
 * exports it; throws with the build's log when it fails. `npm test` builds it in a stage of its own
 * just before the integration tests and says so with HUBMESH_IMAGE_BUILT=1: then the image is taken as built.
 */
export function ensureImage(): BuiltImage {
  if (process.env.HUBMESH_IMAGE_BUILT === '1' && existsSync(IMAGE_ARCHIVE)) {
    buildah(['inspect', '--type', 'image', IMAGE_REF]);
    return { ref: IMAGE_REF, archive: IMAGE_ARCHIVE, buildSeconds: 0, summary: "built by npm test's image stage" };
  }
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

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } };
type PodSpec = {
  serviceAccountName: string;
  containers: { name: string; env: EnvVar[]; volumeMounts: { name: string; mountPath: string }[]; securityContext: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean } }[];
  volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
};

export type ChartPod = {
  deployment: KubeObject & { spec: { template: { spec: PodSpec } } };
  /** the container's environment as a kubelet resolves it (Secrets, the namespace) plus the in-cluster apiserver address */
  env: Record<string, string>;
  /** the chart's emptyDir mounts: path → tmpfs size */
  writable: Record<string, string>;
  /** token, ca.crt and namespace, as a kubelet projects them */
  serviceAccountDir: string;
  serviceAccountToken: string;
};

export const clusterCaFile = () => path.join(path.dirname(clusterPaths().adminKubeconfig), 'pki/ca.crt');

/** `16Mi` → `16m` for tmpfs; the chart's sizes are binary units */
function tmpfsSize(quantity: string): string {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected emptyDir sizeLimit ${quantity}`);
  return `${match[1]}${match[2]![0]!.toLowerCase()}`;
}

/**
 * What a kubelet would give the container of an installed release's Deployment: its environment with
 * Secrets and the namespace resolved, its ServiceAccount's token from the TokenRequest API (written to
 * `workDir`), and its emptyDir mounts. Throws on anything in the chart it does not know how to resolve.
 */
export function chartPod(release: HelmRelease, adminKubeconfig: string, workDir: string): ChartPod {
  const kubectl = kubectlWith(adminKubeconfig);
  const deployment = release.manifest().find((o) => o.kind === 'Deployment') as ChartPod['deployment'] | undefined;
  if (!deployment) throw new Error(`release ${release.name} has no Deployment`);
  const pod = deployment.spec.template.spec;
  const spec = pod.containers[0]!;
  const secretValue = (name: string, key: string) => {
    const data = (JSON.parse(kubectl(['get', 'secret', name, '-n', release.namespace, '-o', 'json'])) as { data: Record<string, string> }).data;
    return Buffer.from(data[key]!, 'base64').toString();
  };
  const env: Record<string, string> = {};
  for (const e of spec.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = release.namespace;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else throw new Error(`the chart sets ${e.name} in a way chartPod does not resolve: ${JSON.stringify(e)}`);
  }
  // the in-cluster configuration: the apiserver's address, as the kubernetes Service's env gives it
  const apiserver = new URL(/server: (\S+)/.exec(readFileSync(adminKubeconfig, 'utf8'))![1]!);
  Object.assign(env, { KUBERNETES_SERVICE_HOST: apiserver.hostname, KUBERNETES_SERVICE_PORT: apiserver.port });

  const serviceAccountToken = kubectl(['create', 'token', pod.serviceAccountName, '-n', release.namespace, '--duration', '3600s']).trim();
  const serviceAccountDir = path.join(workDir, 'serviceaccount');
  mkdirSync(serviceAccountDir, { recursive: true });
  for (const [file, content] of Object.entries({ token: serviceAccountToken, namespace: release.namespace, 'ca.crt': readFileSync(clusterCaFile(), 'utf8') })) {
    writeFileSync(path.join(serviceAccountDir, file), content);
  }

  const writable: Record<string, string> = {};
  for (const mount of spec.volumeMounts) {
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (!volume?.emptyDir?.sizeLimit) throw new Error(`volume ${mount.name} is not a sized emptyDir`);
    writable[mount.mountPath] = tmpfsSize(volume.emptyDir.sizeLimit);
  }
  return { deployment, env, writable, serviceAccountDir, serviceAccountToken };
}
