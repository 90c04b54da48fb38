#!/usr/bin/env node
// `npm start`: maps command-line flags onto hubmesh's environment variables, builds the app when
// the build is missing or older than the sources, then runs `next start`.
//   npm start -- --mode local --data-dir ./data --namespace jupyterhub --port 8000 --kubeconfig ~/.kube/config
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flagToEnv = {
  mode: 'HUBMESH_MODE',
  'data-dir': 'HUBMESH_DATA_DIR',
  namespace: 'HUBMESH_NAMESPACE',
  kubeconfig: 'KUBECONFIG',
  'log-level': 'HUBMESH_LOG_LEVEL',
  port: 'PORT',
};

let values;
try {
  ({ values } = parseArgs({
    options: { ...Object.fromEntries(Object.keys(flagToEnv).map((f) => [f, { type: 'string' }])), hostname: { type: 'string' } },
  }));
} catch (error) {
  console.error(`start: ${error.message}; known flags: ${[...Object.keys(flagToEnv), 'hostname'].map((f) => `--${f}`).join(' ')}`);
  process.exit(2);
}
const env = { ...process.env };
for (const [flag, variable] of Object.entries(flagToEnv)) if (values[flag] !== undefined) env[variable] = values[flag];

const sources = ['app', 'components', 'lib', 'instrumentation.ts', 'next.config.js', 'package.json', 'postcss.config.mjs', 'tsconfig.json'];
function newestMtime(p) {
  const full = path.join(root, p);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(full).map((child) => newestMtime(path.join(p, child))));
}
const buildId = path.join(root, '.next', 'BUILD_ID');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
if (!existsSync(buildId) || statSync(buildId).mtimeMs < Math.max(...sources.map(newestMtime))) {
  console.error('start: building hubmesh (the build is missing or older than the sources)...');
  const build = spawnSync(process.execPath, [nextBin, 'build'], { cwd: root, stdio: 'inherit', env });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const server = spawn(process.execPath, [nextBin, 'start', '--port', env.PORT ?? '3000', ...(values.hostname ? ['--hostname', values.hostname] : [])], {
  cwd: root,
  stdio: 'inherit',
  env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
