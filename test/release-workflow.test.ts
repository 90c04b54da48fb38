// The release workflow (.github/workflows/release.yml) as users rely on it: actionlint, with shellcheck
// on the run: scripts, finds nothing in any workflow and does find what a broken copy gets wrong; the
// image goes to GHCR for linux/amd64 and linux/arm64 with provenance and an SBOM, built from the
// repository's Dockerfile by actions pinned to commits; and the step that gates a release, run here in
// a scratch repository, refuses a tag that is not the chart's appVersion and gives `latest` only to the
// newest release that is not a pre-release.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const workflowsDir = path.join(root, '.github/workflows');
const releaseFile = path.join(workflowsDir, 'release.yml');
const chartFile = 'deploy/helm/hubmesh/Chart.yaml';

type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string>; env?: Record<string, string>; steps: Step[] };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };

const workflowFiles = () => readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(workflowsDir, f));
const release = () => parse(readFileSync(releaseFile, 'utf8')) as Workflow;
const imageJob = () => release().jobs.image!;

function step(match: (s: Step) => boolean, what: string): Step {
  const steps = imageJob().steps.filter(match);
  expect(steps, `exactly one step that ${what}`).toHaveLength(1);
  return steps[0]!;
}
const stepUsing = (action: string) => step((s) => s.uses?.startsWith(`${action}@`) === true, `uses ${action}`);

const scratchDirs: string[] = [];
function scratchDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubmesh-release-'));
  scratchDirs.push(dir);
  return dir;
}

describe('the release workflow', () => {
  let actionlint = '';
  let shellcheck = '';

  beforeAll(() => {
    // No skip: a workflow that cannot be checked is a failure. The first build of actionlint takes a minute.
    actionlint = execFileSync('bash', [path.join(root, 'scripts/actionlint.sh')], { encoding: 'utf8', timeout: 15 * 60_000 }).trim();
    expect(execFileSync(actionlint, ['-version'], { encoding: 'utf8' })).toMatch(/^v1\.7\.12\n/);
    // actionlint silently skips the run: scripts when shellcheck is missing; scripts/system-deps.sh installs it
    shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).stdout.trim();
    expect(shellcheck, 'shellcheck is not on PATH (Debian package shellcheck; scripts/system-deps.sh installs it)').not.toBe('');
  }, 15 * 60_000);

  afterAll(() => {
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  });

  function lint(files: string[]) {
    const result = spawnSync(actionlint, ['-no-color', '-oneline', `-shellcheck=${shellcheck}`, ...files], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    return { status: result.status, findings: `${result.stdout}${result.stderr}`.trim() };
  }

  it('passes actionlint (with shellcheck on its scripts) with no findings', () => {
    const files = workflowFiles();
    expect(files).toContain(releaseFile);
    const { status, findings } = lint(files);
    expect(findings, 'actionlint findings').toBe('');
    expect(status).toBe(0);
  });

  // proves that the check above checks: each break is one actionlint must report
  it.each([
    { broken: 'a misspelt step id', from: 'steps.build.outputs.digest', to: 'steps.biuld.outputs.digest', finding: /property "biuld" is not defined/ },
    { broken: 'an unquoted path in a script', from: '>>"$GITHUB_OUTPUT"', to: '>>$GITHUB_OUTPUT', finding: /SC2086/ },
    { broken: 'an unknown permission', from: 'attestations: write', to: 'attestation: write', finding: /unknown permission scope "attestation"/ },
  ])('fails actionlint with $broken', ({ from, to, finding }) => {
    const original = readFileSync(releaseFile, 'utf8');
    expect(original).toContain(from);
    const dir = path.join(scratchDir(), '.github/workflows');
    mkdirSync(dir, { recursive: true });
    const copy = path.join(dir, 'release.yml');
    writeFileSync(copy, original.replace(from, to));
    const { status, findings } = lint([copy]);
    expect(findings).toMatch(finding);
    expect(status).toBe(1);
  });

  it('runs on pushed v* tags and by hand for a named tag', () => {
    const on = release().on as { push?: { tags?: string[]; branches?: unknown }; workflow_dispatch?: { inputs?: Record<string, { required?: boolean }> } };
    expect(on.push?.tags).toEqual(['v*']);
    expect(on.push?.branches).toBeUndefined();
    expect(on.workflow_dispatch?.inputs?.tag?.required).toBe(true);
    expect(imageJob().env?.RELEASE_TAG).toBe('${{ inputs.tag || github.ref_name }}');
    expect(stepUsing('actions/checkout').with?.ref).toBe('refs/tags/${{ env.RELEASE_TAG }}');
  });

  it('pushes a linux/amd64 and linux/arm64 image to GHCR with max provenance and an SBOM, built from the repository Dockerfile', () => {
    const build = stepUsing('docker/build-push-action').with!;
    expect(String(build.platforms).split(',').map((p) => p.trim()).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.provenance).toBe('mode=max');
    expect(build.sbom).toBe(true);
    expect(build.push).toBe(true);
    expect(build.context).toBe('.');
    expect(build.file).toBe('Dockerfile');
    expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    expect(build.tags).toBe('${{ steps.meta.outputs.tags }}');
    expect(build.labels).toBe('${{ steps.meta.outputs.labels }}');

    // arm64 is emulated on the amd64 runner, by a Buildx builder (the docker driver cannot build multi-arch)
    expect(stepUsing('docker/setup-qemu-action').with?.platforms).toBe('arm64');
    expect(stepUsing('docker/setup-buildx-action').with?.driver).toBeUndefined();

    expect(stepUsing('docker/login-action').with?.registry).toBe('ghcr.io');
    const meta = stepUsing('docker/metadata-action').with!;
    expect(meta.images).toBe('${{ steps.release.outputs.image }}');
    expect(meta.flavor).toBe('latest=${{ steps.release.outputs.latest }}');
    expect(String(meta.tags).trim().split('\n')).toEqual([
      'type=semver,pattern={{version}},value=${{ env.RELEASE_TAG }}',
      'type=semver,pattern={{major}}.{{minor}},value=${{ env.RELEASE_TAG }}',
    ]);

    const attest = stepUsing('actions/attest').with!;
    expect(attest['subject-name']).toBe('${{ steps.release.outputs.image }}');
    expect(attest['subject-digest']).toBe('${{ steps.build.outputs.digest }}');
    expect(attest['push-to-registry']).toBe(true);
  });

  it('grants only what publishing and attesting need', () => {
    expect(release().permissions).toEqual({});
    expect(imageJob().permissions).toEqual({ contents: 'read', packages: 'write', 'id-token': 'write', attestations: 'write', 'artifact-metadata': 'write' });
    expect(stepUsing('actions/checkout').with?.['persist-credentials']).toBe(false);
  });

  it('pins every action to a full commit SHA, with its version in a comment', () => {
    for (const file of workflowFiles()) {
      const usesLines = readFileSync(file, 'utf8').split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
      expect(usesLines.length, path.basename(file)).toBeGreaterThan(0);
      for (const line of usesLines) expect(line.trim(), path.basename(file)).toMatch(/^(-\s+)?uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
    const uses = imageJob().steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.map((u) => u.split('@')[0])).toEqual([
      'actions/checkout',
      'docker/setup-qemu-action',
      'docker/setup-buildx-action',
      'docker/login-action',
      'docker/metadata-action',
      'docker/build-push-action',
      'actions/attest',
    ]);
  });

  describe('its gate step, run in a scratch repository', () => {
    const chartText = readFileSync(path.join(root, chartFile), 'utf8');
    const chartAppVersion = String((parse(chartText) as { appVersion: unknown }).appVersion);

    /** Runs the step as GitHub's runner does (bash --noprofile --norc -eo pipefail) on a commit carrying the given tags. */
    function gate(opts: { tag: string; tags: string[]; appVersion?: string; owner?: string }) {
      const repo = scratchDir();
      const script = step((s) => s.id === 'release', 'has id release').run!;
      // an expression would be filled in by GitHub, not here (and in a script it invites injection)
      expect(script).not.toContain('${{');
      mkdirSync(path.join(repo, path.dirname(chartFile)), { recursive: true });
      // the real chart quotes appVersion; the cases below also write it bare
      const chart = opts.appVersion === undefined ? chartText : chartText.replace(/^appVersion:.*$/m, `appVersion: ${opts.appVersion}`);
      writeFileSync(path.join(repo, chartFile), chart);
      // only PATH from here: no GIT_DIR or the like of the process running the tests reaches the scratch repository
      const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, NODE_ENV: 'test', ...vars });
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=hubmesh-test', '-c', 'user.email=test@hubmesh.invalid', ...args], { cwd: repo, env: env(), stdio: 'pipe' });
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'release');
      for (const tag of opts.tags) git('tag', tag);
      const scriptFile = path.join(repo, 'gate.sh');
      writeFileSync(scriptFile, script);
      const outputFile = path.join(repo, 'github-output');
      writeFileSync(outputFile, '');
      const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
        cwd: repo,
        encoding: 'utf8',
        env: env({ RELEASE_TAG: opts.tag, OWNER: opts.owner ?? 'HubMesh-Org', GITHUB_OUTPUT: outputFile }),
      });
      const outputs = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      return { status: result.status, log: `${result.stdout}${result.stderr}`, outputs };
    }

    it('passes the chart appVersion tag, names the lowercased GHCR image, and marks the newest release latest', () => {
      expect(chartAppVersion).toMatch(/^\d+\.\d+\.\d+/);
      const { status, log, outputs } = gate({ tag: `v${chartAppVersion}`, tags: ['v0.0.1', `v${chartAppVersion}`] });
      expect(status, log).toBe(0);
      expect(outputs).toEqual({ version: chartAppVersion, image: 'ghcr.io/hubmesh-org/hubmesh', latest: 'true' });
    });

    it('fails the release when the tag is not the chart appVersion, and says what to change', () => {
      const { status, log, outputs } = gate({ tag: 'v99.0.0', tags: ['v99.0.0'] });
      expect(status).toBe(1);
      expect(log).toContain(`::error file=${chartFile}::the tag v99.0.0 is not the chart's appVersion (${chartAppVersion}): set appVersion to "99.0.0"`);
      expect(outputs).toEqual({});
    });

    it('fails on a tag that is not a version', () => {
      const { status, log } = gate({ tag: 'vnext', tags: ['vnext'], appVersion: 'next' });
      expect(status).toBe(1);
      expect(log).toContain('::error::release tags look like v1.2.3 or v1.2.3-rc.1, not vnext');
    });

    it('does not give latest to a fix of an older line', () => {
      const { status, log, outputs } = gate({ tag: 'v1.4.2', tags: ['v1.4.2', 'v1.10.0', 'v1.9.0'], appVersion: '1.4.2' });
      expect(status, log).toBe(0);
      expect(outputs).toMatchObject({ version: '1.4.2', latest: 'false' });
    });

    it('does not give latest to a pre-release, even the highest tag', () => {
      const { status, log, outputs } = gate({ tag: 'v2.0.0-rc.1', tags: ['v1.10.0', 'v2.0.0-rc.1'], appVersion: '"2.0.0-rc.1"' });
      expect(status, log).toBe(0);
      expect(outputs).toMatchObject({ version: '2.0.0-rc.1', latest: 'false' });
    });

    it('orders versions as numbers, not text (v10 is newer than v9)', () => {
      const { status, log, outputs } = gate({ tag: 'v10.0.0', tags: ['v10.0.0', 'v9.9.9'], appVersion: '10.0.0', owner: 'someone' });
      expect(status, log).toBe(0);
      expect(outputs).toEqual({ version: '10.0.0', image: 'ghcr.io/someone/hubmesh', latest: 'true' });
    });
  });
});
