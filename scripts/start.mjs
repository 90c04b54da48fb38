#!/usr/bin/env node
// `npm start`: maps command-line flags onto hubmesh's environment variables, builds the app when
// the build is missing or older than the sources, then runs `next start`.
//   npm start -- --mode local --data-dir ./data --namespace jupyterhub --port 8000 --kubeconfig ~/.kube/config
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuild } from './ensure-build.mjs';
import { serverProcess } from './server-process.mjs';

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

const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
let server;
try {
  server = serverProcess(env);
  ensureBuild(env);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const child = spawn(process.execPath, [...server.nodeArgs, nextBin, 'start', '--port', env.PORT ?? '3000', ...(values.hostname ? ['--hostname', values.hostname] : [])], {
  cwd: root,
  stdio: 'inherit',
  env: server.env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
