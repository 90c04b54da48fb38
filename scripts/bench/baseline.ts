/**
 * BENCH_BASELINE=<git ref>: the selected sections run in a checkout of that ref and in this one, in
 * turn (baseline, current, baseline, current, ...: BENCH_BASELINE_ROUNDS rounds each, default 2), so
 * both see the same machine and control plane; then one table per section compares each headline
 * figure (compare.ts) between the two.
 *
 * The baseline is a git worktree under $HUBMESH_CACHE/bench-baseline/<sha> (~/.cache/hubmesh), kept
 * and reused: its node_modules is a hard-linked copy of this checkout's when the lockfiles are identical,
 * else its own `npm ci`; it is built as `npm start` builds (scripts/ensure-build.mjs: next build and the
 * server entry), so the ref must have that script. Each run is a child `tsx scripts/bench/index.ts`
 * with BENCH_ONLY=<section> in its checkout, every other BENCH_* variable passed to both alike. Its
 * results file is copied to bench-results/baseline/<section>-<baseline|current>-<round>.json, and
 * the comparison is written to bench-results/baseline/<section>.json. A run that fails or records an
 * error counts for nothing and is named under the table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/cluster/harness';
import { collectRounds, comparisonRows, sectionResults, type Figure, type SectionName } from './compare';
import { ensureBuiltForBench } from './load';
import { formatTable } from './stats';

type Checkout = { label: 'baseline' | 'current'; dir: string; commit: string };

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`bench: \`${command} ${args.join(' ')}\` in ${cwd} failed (exit ${result.status ?? result.signal})`);
}

const lockfile = (dir: string) => readFileSync(path.join(dir, 'package-lock.json'));

/**
 * This checkout's packages, hard-linked (Turbopack refuses a node_modules linked from outside the project)
 * when both lockfiles are the same, else the baseline's own `npm ci`. Kept once there.
 */
function installDependencies(dir: string): void {
  const modules = path.join(dir, 'node_modules');
  if (existsSync(modules)) return;
  const partial = `${modules}.partial`;
  rmSync(partial, { recursive: true, force: true });
  if (lockfile(repoRoot).equals(lockfile(dir))) {
    const copy = spawnSync('cp', ['-al', realpathSync(path.join(repoRoot, 'node_modules')), partial], { stdio: 'inherit' });
    if (copy.status === 0) return renameSync(partial, modules);
    rmSync(partial, { recursive: true, force: true }); // another filesystem: no hard links
  }
  run('npm', ['ci'], dir);
}

/** The baseline's worktree at `sha`, its dependencies installed and the app built. */
async function prepareBaseline(sha: string): Promise<Checkout> {
  const cache = execFileSync('bash', ['-c', '. scripts/cluster/versions.sh && printf %s "$HUBMESH_CACHE"'], { cwd: repoRoot, encoding: 'utf8' });
  const dir = path.join(cache, 'bench-baseline', sha);
  if (!existsSync(path.join(dir, '.git'))) {
    rmSync(dir, { recursive: true, force: true }); // what an interrupted `git worktree add` left
    git(repoRoot, 'worktree', 'prune');
    run('git', ['worktree', 'add', '--detach', dir, sha], repoRoot);
  } else if (git(dir, 'rev-parse', 'HEAD') !== sha) {
    throw new Error(`bench: ${dir} is not at ${sha}; remove it (git worktree remove --force ${dir}) and run again`);
  }
  installDependencies(dir);
  await ensureBuiltForBench(dir);
  return { label: 'baseline', dir, commit: sha.slice(0, 7) };
}

/** One run of `section` in `checkout`: its headline figures, or why it has none. */
function runSection(section: SectionName, checkout: Checkout, round: number, outDir: string): { figures: Figure[] } | { failure: string } {
  const results = path.join(checkout.dir, 'bench-results', sectionResults[section].file);
  rmSync(results, { force: true });
  const bin = path.join(checkout.dir, 'node_modules', '.bin');
  console.log(`\nbench: ${section}, round ${round}, ${checkout.label} (${checkout.commit}, ${checkout.dir})`);
  const started = performance.now();
  const child = spawnSync(process.execPath, [path.join(bin, 'tsx'), 'scripts/bench/index.ts'], {
    cwd: checkout.dir,
    env: { ...process.env, BENCH_ONLY: section, BENCH_BASELINE: '', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    stdio: 'inherit',
  });
  const took = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  console.log(`bench: ${section}, round ${round}, ${checkout.label} took ${took} (exit ${child.status ?? child.signal})`);
  const what = `${checkout.label} round ${round} (${took})`;
  if (!existsSync(results)) return { failure: `${what}: exit ${child.status ?? child.signal}, no ${sectionResults[section].file}` };
  copyFileSync(results, path.join(outDir, `${section}-${checkout.label}-${round}.json`));
  const json = JSON.parse(readFileSync(results, 'utf8')) as Record<string, unknown>;
  if (child.status !== 0 || json.error) return { failure: `${what}: exit ${child.status ?? child.signal}, ${String(json.error ?? '').split('\n')[0]}` };
  return { figures: sectionResults[section].figures(json) };
}

export async function runAgainstBaseline(ref: string, sections: SectionName[], rounds: number): Promise<void> {
  if (rounds < 2) throw new Error(`bench: BENCH_BASELINE_ROUNDS must be at least 2 to tell noise, got ${rounds}`);
  const sha = git(repoRoot, 'rev-parse', '--verify', `${ref}^{commit}`);
  const changed = git(repoRoot, 'status', '--porcelain').split('\n').filter(Boolean).length;
  const current: Checkout = { label: 'current', dir: repoRoot, commit: `${git(repoRoot, 'rev-parse', '--short', 'HEAD')}${changed ? ` + ${changed} changed files` : ''}` };
  const baseline = await prepareBaseline(sha);
  await ensureBuiltForBench(repoRoot);
  const outDir = path.join(repoRoot, 'bench-results', 'baseline');
  mkdirSync(outDir, { recursive: true });

  const tables: string[] = [];
  for (const section of sections) {
    const figures: Record<Checkout['label'], Figure[][]> = { baseline: [], current: [] };
    const failures: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const checkout of [baseline, current]) {
        const outcome = runSection(section, checkout, round, outDir);
        if ('figures' in outcome) figures[checkout.label].push(outcome.figures);
        else failures.push(outcome.failure);
      }
    }
    const comparisons = collectRounds(figures.baseline, figures.current);
    const rows = comparisonRows(comparisons);
    const heading = `${section}: baseline ${ref} (${baseline.commit}) vs. current (${current.commit}), ${rounds} alternating rounds each; within noise = the rounds' ranges overlap`;
    const table = [heading, '', formatTable(rows), ...failures.map((f) => `failed, not counted: ${f}`)].join('\n');
    console.log(`\n${table}`);
    tables.push(table);
    writeFileSync(path.join(outDir, `${section}.json`), JSON.stringify({ at: new Date().toISOString(), baseline: { ref, sha }, current: current.commit, rounds, comparisons, rows, failures }, null, 2));
  }
  if (tables.length > 1) console.log(`\nbench: all comparisons\n\n${tables.join('\n\n')}`);
}
