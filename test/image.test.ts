// The container image a z2jh admin installs: built here from the Dockerfile (scripts/image.sh), loaded
// by podman from the exported OCI archive, and run (scripts/image-run.sh) exactly as the chart's pod
// would run it: the image's CMD, env and user on a read-only root, writable only where the chart mounts
// volumes, with the chart's environment and the ServiceAccount token of a real `helm install`, obtained
// through the TokenRequest API. Against it: probes, the proxy API from curl-like calls and from a real
// JupyterHub, console sign-in, the chart's RBAC as the identity in use, the heap flag, and SIGTERM.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectlPath, kubectlWith, repoRoot, run } from './cluster/harness';
import { helmRelease, type KubeObject } from './helm';
import { eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { buildah, chartPod, clusterCaFile, ensureImage, imageConfig, runImage, withImageRoot, type BuiltImage, type ChartPod, type RunningImage } from './image-harness';
import { startHub, type HubProcess } from './jupyterhub/hub-process';

const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

describe('the container image, built and run as the chart runs it', () => {
  const adminKubeconfig = inject('adminKubeconfig');
  const kubectl = kubectlWith(adminKubeconfig);
  const release = helmRelease(uniqueName('img'), HUB_NAMESPACE, adminKubeconfig);
  const prefix = `im${release.name.slice(4)}`;
  const proxyToken = `proxy-${randomBytes(12).toString('hex')}`;
  const heapMb = 200;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-image-test-'));
  let image: BuiltImage;
  let deployment: ChartPod['deployment'];
  let container: RunningImage | undefined;
  let hub: HubProcess | undefined;
  let adminToken = '';
  let serviceAccountToken = '';

  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${container!.url}${p}`, { ...init, headers: { authorization: `token ${proxyToken}`, ...(init.headers as Record<string, string>) } });
  const routes = async () => (await (await api('/api/routes')).json()) as Record<string, { target: string }>;
  const virtualServices = () =>
    (JSON.parse(kubectl(['get', 'virtualservices.networking.istio.io', '-n', HUB_NAMESPACE, '-l', `hubmesh.io/prefix=${prefix}`, '-o', 'json'])) as { items: KubeObject[] }).items;

  beforeAll(async () => {
    // no skip: an image that cannot be built or run is a failure (the first build takes minutes)
    image = ensureImage();
    console.log(`image: ${image.summary.split('\n').at(-1)} (this run: ${image.buildSeconds.toFixed(0)} s)`);

    release.install([
      '--set', `image.repository=${image.ref.split(':')[0]},image.tag=${image.ref.split(':')[1]},proxyAuthToken.value=${proxyToken},config.prefix=${prefix},heapMb=${heapMb}`,
      '--set-json', `tolerations=${JSON.stringify([{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }])}`,
    ]);
    const pod = chartPod(release, adminKubeconfig, workDir);
    deployment = pod.deployment;
    adminToken = pod.env.HUBMESH_ADMIN_TOKEN!;
    serviceAccountToken = pod.serviceAccountToken;
    container = await runImage({ ref: image.ref, env: pod.env, writable: pod.writable, serviceAccountDir: pod.serviceAccountDir, pidFile: path.join(workDir, 'pid') });
    console.log(`image: ready ${container.readyMs} ms after the container started (the runner's set-up before it: ${container.setupMs} ms)`);
  }, 45 * 60_000);

  afterAll(async () => {
    await hub?.stop();
    if (container) await container.terminate().catch(() => undefined);
    try {
      release.uninstall();
    } catch {
      // not installed: beforeAll failed first
    }
    kubectl(['delete', 'virtualservices.networking.istio.io,configmaps', '-n', HUB_NAMESPACE, '-l', `hubmesh.io/prefix=${prefix}`, '--ignore-not-found', '--wait=false']);
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  it('is at most 250 MB in three layers, with no build tools, no dev dependencies, no source maps and no native addons', () => {
    const inspected = JSON.parse(buildah(['inspect', '--type', 'image', image.ref])) as { OCIv1: { rootfs: { diff_ids: string[] } } };
    const layers = inspected.OCIv1.rootfs.diff_ids.length;
    const sizeLine = buildah(['images', '--noheading', '--format', '{{.Size}}', image.ref]).trim();
    const [, amount, unit] = /^([\d.]+) (MB|GB)$/.exec(sizeLine)!;
    const megabytes = Number(amount) * (unit === 'GB' ? 1000 : 1);
    console.log(`image: ${megabytes} MB in ${layers} layers`);
    expect(megabytes).toBeLessThanOrEqual(250);
    expect(layers).toBe(3);

    withImageRoot(image.ref, (root) => {
      for (const tool of ['usr/local/bin/npm', 'usr/local/bin/npx', 'usr/local/bin/yarn', 'usr/local/bin/corepack', 'usr/local/lib/node_modules', 'usr/local/include/node', 'usr/bin/gcc', 'usr/bin/make', 'usr/bin/python3', 'usr/bin/g++']) {
        expect(existsSync(path.join(root, tool)), `/${tool} in the image`).toBe(false);
      }
      expect(existsSync(path.join(root, 'usr/local/bin/node'))).toBe(true);
      const installed = new Set(readdirSync(path.join(root, 'app/node_modules')).flatMap((d) => (d.startsWith('@') ? readdirSync(path.join(root, 'app/node_modules', d)).map((s) => `${d}/${s}`) : [d])));
      expect(Object.keys(packageJson.devDependencies).filter((name) => installed.has(name))).toEqual([]);
      expect(installed.has('next') && installed.has('@kubernetes/client-node')).toBe(true);
      // no source maps; and no native addons, which is what lets the Dockerfile build on the builder's platform for every target
      const found: string[] = [];
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) walk(path.join(dir, entry.name));
          else if (/\.(map|node)$/.test(entry.name)) found.push(path.join(dir, entry.name));
        }
      };
      walk(path.join(root, 'app'));
      expect(found).toEqual([]);
      // the app's files are root's: the app cannot change its own code even where the root is writable
      expect(statSync(path.join(root, 'app/.next/hubmesh-server.mjs')).uid).toBe(0);
      expect(statSync(path.join(root, 'app/.next/cache')).uid).toBe(1000);
      expect(statSync(path.join(root, 'app/.hubmesh-data')).uid).toBe(1000);
    });
  });

  it('is an OCI archive that podman loads as the same image', () => {
    const layout = mkdtempSync(path.join(workDir, 'layout-'));
    run('tar', ['-xf', image.archive, '-C', layout]);
    expect(JSON.parse(readFileSync(path.join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    // every blob is what its name says it is
    const blobs = path.join(layout, 'blobs/sha256');
    for (const blob of readdirSync(blobs)) expect(createHash('sha256').update(readFileSync(path.join(blobs, blob))).digest('hex')).toBe(blob);

    const storage = mkdtempSync(path.join(workDir, 'podman-'));
    const podman = (args: string[]) => run('podman', ['--root', path.join(storage, 'root'), '--runroot', path.join(storage, 'run'), '--storage-driver', 'vfs', ...args]);
    expect(podman(['load', '--input', image.archive])).toMatch(/Loaded image/);
    const loaded = JSON.parse(podman(['image', 'inspect', image.ref])) as { Config: { User: string; Cmd: string[]; Env: string[]; WorkingDir: string } }[];
    const built = imageConfig(image.ref);
    expect(loaded[0]!.Config).toMatchObject({ User: built.User, Cmd: built.Cmd, WorkingDir: built.WorkingDir });
    expect(loaded[0]!.Config.Env).toEqual(built.Env);
    rmSync(storage, { recursive: true, force: true });
  });

  it('runs as 1000:1000 on a read-only root, writable only where the chart mounts volumes', () => {
    const status = readFileSync(`/proc/${container!.pid}/status`, 'utf8');
    expect(/^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    expect(/^Gid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    const spec = deployment.spec.template.spec.containers[0]!;
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true });

    // a process of the container's user, in its namespaces and root, tries to write
    const write = (file: string) =>
      spawnSync('nsenter', ['--target', String(container!.pid), '--mount', '--pid', '--root', '--wd', '--setuid', '1000', '--setgid', '1000', '/bin/sh', '-c', `echo x > ${file}`], { encoding: 'utf8' });
    for (const file of ['/app/x', '/app/.next/hubmesh-server.mjs', '/x', '/home/node/x', '/var/tmp/x']) {
      const attempt = write(file);
      expect(attempt.status, `writing ${file}`).not.toBe(0);
      expect(attempt.stderr).toMatch(/Read-only file system/);
    }
    for (const mount of spec.volumeMounts) expect(write(`${mount.mountPath}/probe`).status, `writing in ${mount.mountPath}`).toBe(0);
  });

  it('answers /healthz and /readyz, and takes its heap ceiling from HUBMESH_HEAP_MB', async () => {
    const health = await fetch(`${container!.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${container!.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', mode: 'cluster' });
    const argv = readFileSync(`/proc/${container!.pid}/cmdline`, 'utf8').split('\0');
    expect(argv[0]).toBe('node');
    expect(argv).toContain(`--max-old-space-size=${heapMb}`);
    const chartEnv = deployment.spec.template.spec.containers[0]!.env.find((e) => e.name === 'HUBMESH_HEAP_MB');
    expect(chartEnv?.value).toBe(String(heapMb));
  });

  it('serves the proxy API: POST, GET and DELETE write and remove VirtualServices as the chart\'s ServiceAccount', async () => {
    const created = await api('/api/routes/user/alice', { method: 'POST', body: JSON.stringify({ target: 'http://jupyter-alice:8888', user: 'alice' }) });
    expect(created.status).toBe(201);
    expect((await routes())['/user/alice']).toMatchObject({ target: 'http://jupyter-alice:8888', user: 'alice' });
    await eventually(() => virtualServices().find((vs) => JSON.stringify(vs).includes('/user/alice')), 'the route VirtualService');
    expect((await fetch(`${container!.url}/api/routes`)).status).toBe(403);

    const removed = await api('/api/routes/user/alice', { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await routes())['/user/alice']).toBeUndefined();
    await eventually(() => (virtualServices().some((vs) => JSON.stringify(vs).includes('/user/alice')) ? undefined : true), 'the VirtualService gone');
  });

  it("works as the chart's ServiceAccount, held to the chart's Role", async () => {
    // the only credential the container has is the token a kubelet would project: whose is it?
    const server = /server: (\S+)/.exec(readFileSync(adminKubeconfig, 'utf8'))![1]!;
    const review = JSON.parse(run(kubectlPath(), ['auth', 'whoami', '--server', server, '--certificate-authority', clusterCaFile(), '--token', serviceAccountToken, '-o', 'json'])) as {
      status: { userInfo: { username: string } };
    };
    expect(review.status.userInfo.username).toBe(`system:serviceaccount:${HUB_NAMESPACE}:${deployment.spec.template.spec.serviceAccountName}`);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(`${release.name}-hubmesh`);

    // take VirtualService writes out of the chart's route Role: the running image loses them; put them back: it has them again
    const roleName = `${release.name}-hubmesh-routes`;
    const role = JSON.parse(kubectl(['get', 'role', roleName, '-n', HUB_NAMESPACE, '-o', 'json'])) as KubeObject & { rules: { resources: string[]; verbs: string[] }[] };
    const readOnly = { ...role, rules: role.rules.map((r) => (r.resources.includes('virtualservices') ? { ...r, verbs: ['get', 'list', 'watch'] } : r)) };
    kubectl(['replace', '-f', '-'], JSON.stringify(readOnly));
    try {
      const refused = await eventually(async () => {
        const r = await api('/api/routes/user/bob', { method: 'POST', body: JSON.stringify({ target: 'http://jupyter-bob:8888', user: 'bob' }) });
        return r.status >= 400 ? r : undefined;
      }, 'a POST refused once the Role no longer allows it');
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.headers.get('content-type')).toContain('application/json');
      expect(virtualServices().some((vs) => JSON.stringify(vs).includes('/user/bob'))).toBe(false);
      expect(container!.output()).toMatch(/forbidden|403/i);
    } finally {
      kubectl(['replace', '-f', '-'], JSON.stringify({ ...role, metadata: { ...role.metadata, resourceVersion: undefined } }));
    }
    await eventually(async () => ((await api('/api/routes/user/bob', { method: 'POST', body: JSON.stringify({ target: 'http://jupyter-bob:8888', user: 'bob' }) })).status === 201 ? true : undefined), 'the POST allowed again');
    await eventually(() => virtualServices().find((vs) => JSON.stringify(vs).includes('/user/bob')), "bob's VirtualService");
  });

  it('registers the routes of a real JupyterHub 3.0', async () => {
    hub = await startHub({
      proxyUrl: container!.url,
      proxyToken,
      kubeconfig: adminKubeconfig,
      namespace: HUB_NAMESPACE,
      hubRouteRegistered: async () => '/' in (await routes()),
    });
    const hubRoute = (await routes())['/']!;
    expect(hubRoute.target).toBe(`http://hub:${hub.hubPort}`);
    await eventually(() => virtualServices().find((vs) => vs.metadata.labels?.['hubmesh.io/kind'] === 'route' && JSON.stringify(vs).includes(`"port":{"number":${hub!.hubPort}}`)), "the hub's VirtualService");
  }, 120_000);

  it('signs an admin in to the console with the token from the chart\'s Secret', async () => {
    const wrong = await fetch(`${container!.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: 'not-the-admin-token-0123' }) });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(`${container!.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
    expect(signIn.status).toBe(200);
    const jar = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const listed = await fetch(`${container!.url}/api/v1/routes`, { headers: { cookie: jar } });
    expect(listed.status).toBe(200);
    const page = await fetch(`${container!.url}/routes`, { headers: { cookie: jar, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('with no cluster and no settings, runs local mode where its data dir is writable, and says so where it is not', async () => {
    // `docker run` of the image: the root is writable there, which a volume on the data dir stands for here
    const local = await runImage({ ref: image.ref, env: {}, writable: { '/app/.hubmesh-data': '16m' }, pidFile: path.join(workDir, 'local-pid') });
    try {
      expect(await (await fetch(`${local.url}/readyz`)).json()).toMatchObject({ status: 'ready', mode: 'local' });
      expect((await fetch(`${local.url}/api/routes`)).status).toBe(403);
    } finally {
      await local.terminate();
    }
    // the chart's read-only root without the chart's settings: one line naming the way out, not a stack trace
    const failed = runImage({ ref: image.ref, env: {}, writable: {}, pidFile: path.join(workDir, 'refused-pid') });
    await expect(failed).rejects.toThrow(/exited with 1 during start-up:\n.*cannot use \(EROFS\); set HUBMESH_DATA_DIR to a writable directory/);
    await expect(failed).rejects.not.toThrow(/ at /);
  }, 120_000);

  it('stops cleanly within 5 s of SIGTERM, as PID 1', async () => {
    await hub?.stop();
    hub = undefined;
    const { code, ms } = await container!.terminate();
    container = undefined;
    console.log(`image: exited ${ms} ms after SIGTERM`);
    expect(ms).toBeLessThan(5000);
    // the server's graceful exit after SIGTERM (server/main.ts): 128 + 15
    expect(code).toBe(143);
  });
});
