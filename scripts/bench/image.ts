/**
 * The container image's start-up: the image built by scripts/image.sh, run as the chart runs it
 * (scripts/image-run.sh, a real `helm install`'s environment and ServiceAccount token), started
 * BENCH_IMAGE_RUNS times (default 5), beside the same server run from this checkout (`npm start`'s
 * process, the app's kubeconfig) measured in the same run.
 *
 *   ready    from the process's start (the container's PID 1 exists) to /readyz 200
 *   RSS      the server's resident memory right after it is ready
 *   stop     from SIGTERM to the process gone
 *   build    scripts/image.sh with every layer cached (a warm build); the cold build is in the README
 *
 * Goal (issue 14): ready in under 5 s on a warm cluster. Results → bench-results/image.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureCluster, kubectlWith, repoRoot } from '../../test/cluster/harness';
import { helmRelease } from '../../test/helm';
import { startHubmesh } from '../../test/hubmesh-process';
import { chartPod, ensureImage, runImage } from '../../test/image-harness';
import { ensureBuiltForBench } from './load';
import { memoryMb } from './process-memory';
import { formatTable, intOf, median, type Row } from './stats';

// test/helpers.ts loads vitest, which a bench cannot
const namespace = 'jupyterhub';

type Sample = { readyMs: number; rssMb: number; stopMs: number };

async function sampleImage(ref: string, pod: ReturnType<typeof chartPod>, workDir: string, run: number): Promise<Sample> {
  const container = await runImage({ ref, env: pod.env, writable: pod.writable, serviceAccountDir: pod.serviceAccountDir, pidFile: path.join(workDir, `pid-${run}`) });
  const rssMb = memoryMb(container.pid)?.rss ?? NaN;
  const { ms } = await container.terminate();
  return { readyMs: container.readyMs, rssMb, stopMs: ms };
}

async function sampleCheckout(kubeconfig: string, prefix: string, env: Record<string, string>): Promise<Sample> {
  const started = Date.now();
  const server = await startHubmesh({ kubeconfig, prefix, env, readyTimeoutMs: 60_000 });
  const readyMs = Date.now() - started;
  const rssMb = memoryMb(server.pid)?.rss ?? NaN;
  const stopping = Date.now();
  await server.kill('SIGTERM');
  return { readyMs, rssMb, stopMs: Date.now() - stopping };
}

export async function runImageBench(): Promise<void> {
  const runs = intOf('BENCH_IMAGE_RUNS', 5);
  const { adminKubeconfig, appKubeconfig } = ensureCluster('bench');
  await ensureBuiltForBench(repoRoot);
  const image = ensureImage();
  const warm = ensureImage();

  const release = helmRelease(`bimg-${randomBytes(3).toString('hex')}`, namespace, adminKubeconfig);
  const prefix = `bi${release.name.slice(5)}`;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-image-bench-'));
  const fromImage: Sample[] = [];
  const fromCheckout: Sample[] = [];
  try {
    release.install([
      '--set', `image.repository=${image.ref.split(':')[0]},image.tag=${image.ref.split(':')[1]},proxyAuthToken.value=bench-${randomBytes(12).toString('hex')},config.prefix=${prefix}`,
      '--set-json', `tolerations=${JSON.stringify([{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }])}`,
    ]);
    const pod = chartPod(release, adminKubeconfig, workDir);
    const sameSettings = Object.fromEntries(Object.entries(pod.env).filter(([name]) => /^(HUBMESH_(?!NAMESPACE$|MODE$)|CONFIGPROXY_)/.test(name)));
    // alternate the two, so that a noisy minute hurts both alike
    for (let run = 0; run < runs; run++) {
      fromImage.push(await sampleImage(image.ref, pod, workDir, run));
      fromCheckout.push(await sampleCheckout(appKubeconfig, prefix, sameSettings));
    }
  } finally {
    release.uninstall();
    kubectlWith(adminKubeconfig)(['delete', 'virtualservices.networking.istio.io,configmaps', '-n', namespace, '-l', `hubmesh.io/prefix=${prefix}`, '--ignore-not-found', '--wait=false']);
    rmSync(workDir, { recursive: true, force: true });
  }

  const rows: Row[] = (['readyMs', 'rssMb', 'stopMs'] as const).map((metric) => {
    const ofImage = median(fromImage.map((s) => s[metric]));
    const ofCheckout = median(fromCheckout.map((s) => s[metric]));
    return { metric: `${metric} (median of ${runs})`, image: ofImage, checkout: ofCheckout, ratio: ofImage / ofCheckout };
  });
  rows.push({ metric: 'warm build s', image: warm.buildSeconds, checkout: '-', ratio: '-' });
  console.log('\n== image: start-up of the built image vs. the same server from this checkout ==');
  console.log(formatTable(rows));
  console.log(`image: ${image.summary.split('\n').at(-1)}`);
  console.log(`goal: ready < 5000 ms → ${rows[0]!.image as number < 5000 ? 'met' : 'NOT met'}`);
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'image.json'), JSON.stringify({ at: new Date().toISOString(), runs, image: fromImage, checkout: fromCheckout, summary: image.summary, warmBuildS: warm.buildSeconds }, null, 2));
}
