#!/usr/bin/env node
// `npm start`: maps command-line flags onto hubmesh's environment variables, builds the app when
// the build is missing or older than the sources, then becomes hubmesh's server (server/main.ts, built
// into .next/hubmesh-server.mjs: the front door, then Next.js) by exec: one process, which gets the
// signals, with nothing left resident to supervise it.
//   npm start -- --mode local --data-dir ./data --namespace jupyterhub --port 8000 --kubeconfig ~/.kube/config
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuild } from './ensure-build.mjs';
import { serverEntryIn, serverProcess } from './server-process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = serverEntryIn(root);
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

let server;
try {
  server = serverProcess(env);
  ensureBuild(env);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

// the port travels as PORT; execve replaces this process, so the server keeps its pid and its signals
const args = [...server.nodeArgs, serverEntry, ...(values.hostname ? ['--hostname', values.hostname] : [])];
process.chdir(root);
process.execve(process.execPath, [process.execPath, ...args], server.env);
