#!/usr/bin/env node
// `npm test`: unit tests, the istio-oracle's own Go tests (its Envoy route evaluation), the container
// image's build, integration tests on the real control plane (test/image.test.ts runs the image built
// just before; built on its own so that it does not load the machine while timing-sensitive tests
// run), then Playwright, each in turn; a failing stage does not hide the others. Ends with one line that counts every test:
// "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = path.join(root, 'test-results', 'reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const stages = [
  { name: 'unit', report: 'unit.json', cmd: [bin('vitest'), 'run', '--project', 'unit', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'unit.json')}`] },
  {
    // the evaluator that reads Istio's generated route tables with Envoy's semantics, tested on its own
    name: 'oracle',
    report: 'oracle.jsonl',
    cmd: ['go', 'test', '-count=1', '-json', './...'],
    cwd: path.join(root, 'test', 'istio-oracle'),
    env: { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', PATH: `${process.env.PATH}:/usr/local/go/bin` },
    captureStdout: true,
  },
  // a build, not tests: it counts as one failure when it fails
  { name: 'image', cmd: ['bash', path.join(root, 'scripts', 'image.sh')], build: true },
  {
    name: 'integration',
    report: 'integration.json',
    // test/image.test.ts takes the image the stage above built instead of building it again
    env: () => (failedStages.includes('image') ? {} : { HUBMESH_IMAGE_BUILT: '1' }),
    cmd: [bin('vitest'), 'run', '--project', 'integration', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'integration.json')}`],
  },
  { name: 'e2e', report: 'e2e.json', cmd: [bin('playwright'), 'test', '--reporter=list,json,html'], env: { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(reports, 'e2e.json'), PW_TEST_HTML_REPORT_OPEN: 'never' } },
];

/** The events of `go test -json` output (one JSON object per line; other lines are skipped). */
const goTestEvents = (text) => text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
const readGoTestEvents = (stage) => goTestEvents(readFileSync(path.join(reports, stage.report), 'utf8'));

function counts(stage, run) {
  if (stage.build) return { passed: 0, failed: run.status === 0 ? 0 : 1, skipped: 0 };
  if (stage.name === 'oracle') {
    const c = { passed: 0, failed: 0, skipped: 0 };
    for (const event of readGoTestEvents(stage)) {
      if (!event.Test) continue;
      if (event.Action === 'pass') c.passed++;
      else if (event.Action === 'fail') c.failed++;
      else if (event.Action === 'skip') c.skipped++;
    }
    return c;
  }
  const report = JSON.parse(readFileSync(path.join(reports, stage.report), 'utf8'));
  if (stage.name === 'e2e') {
    const s = report.stats;
    return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
  }
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

// The failed tests by name with the first line of each failure, printed again at the very end: a
// CI log that keeps only its tail still says which test failed and why.
function failures(stage) {
  if (stage.build) return [`${stage.name}: the build failed (its output is above)`];
  if (stage.name === 'oracle') {
    return readGoTestEvents(stage)
      .filter((event) => event.Test && event.Action === 'fail')
      .map((event) => `oracle: ${event.Package} ${event.Test}`);
  }
  const report = JSON.parse(readFileSync(path.join(reports, stage.report), 'utf8'));
  if (stage.name === 'e2e') {
    const found = [];
    const walk = (suite, titles) => {
      for (const spec of suite.specs ?? []) {
        for (const test of spec.tests ?? []) {
          if (test.status !== 'unexpected') continue;
          const error = test.results?.at(-1)?.error?.message ?? '';
          found.push(`e2e: ${spec.file}:${spec.line} ${[...titles, spec.title].join(' › ')}${firstLine(error)}`);
        }
      }
      for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
    };
    for (const suite of report.suites ?? []) walk(suite, []);
    return found;
  }
  const found = [];
  for (const file of report.testResults ?? []) {
    const relative = path.relative(root, file.name);
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failedTests) found.push(`${stage.name}: ${relative} › ${t.fullName}${firstLine(t.failureMessages?.[0] ?? '')}`);
    if (!failedTests.length && file.status === 'failed') found.push(`${stage.name}: ${relative}${firstLine(file.message ?? '')}`);
  }
  return found;
}

function firstLine(message) {
  const line = message.replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? '';
  return line ? ` — ${line.trim().slice(0, 300)}` : '';
}

const total = { passed: 0, failed: 0, skipped: 0 };
let failedStages = [];
const failedTests = [];
for (const stage of stages) {
  console.log(`\n== ${stage.name} ==`);
  const run = spawnSync(stage.cmd[0], stage.cmd.slice(1), {
    cwd: stage.cwd ?? root,
    stdio: stage.captureStdout ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    env: { ...process.env, ...(typeof stage.env === 'function' ? stage.env() : stage.env) },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (stage.captureStdout) {
    writeFileSync(path.join(reports, stage.report), run.stdout ?? '');
    // the failing tests' own output, for the log
    for (const event of goTestEvents(run.stdout?.toString() ?? '')) {
      if (event.Action === 'output' && (run.status !== 0 || /^(ok|FAIL|---)/.test(event.Output.trim()))) process.stdout.write(event.Output);
    }
  }
  let c;
  try {
    c = counts(stage, run);
  } catch {
    c = { passed: 0, failed: 1, skipped: 0 }; // the stage died before it could report: count it as a failure
  }
  if (run.status !== 0 && c.failed === 0) c.failed = 1;
  if (run.status !== 0) {
    failedStages.push(stage.name);
    try {
      const found = failures(stage);
      failedTests.push(...(found.length ? found : [`${stage.name}: exited ${run.status ?? run.signal} without a failed test in its report`]));
    } catch {
      failedTests.push(`${stage.name}: exited ${run.status ?? run.signal} before it wrote its report`);
    }
  }
  for (const k of Object.keys(total)) total[k] += c[k];
  console.log(`== ${stage.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
}
if (failedTests.length) console.log(`\nfailed tests:\n${failedTests.map((t) => `  ${t}`).join('\n')}`);
if (failedStages.length) console.log(`failed stages: ${failedStages.join(', ')}`);
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedStages.length ? 1 : 0);
