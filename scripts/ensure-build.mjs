#!/usr/bin/env node
// Builds the app when its build is missing or older than any of its sources: Next's build (.next),
// then hubmesh's server entry (.next/hubmesh-server.mjs, which `next build` clears). Used by
// `npm start` and by the test setups that run the built server.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverSources } from './build-server.mjs';
import { serverEntryIn } from './server-process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = serverEntryIn(root);
const sources = ['app', 'components', 'lib', 'instrumentation.ts', 'proxy.ts', 'next.config.js', 'package.json', 'postcss.config.mjs', 'tsconfig.json'];

function newestMtime(p) {
  const full = path.join(root, p);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return p.endsWith('.test.ts') ? 0 : st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(full).map((child) => newestMtime(path.join(p, child))));
}

const olderThan = (file, paths) => !existsSync(file) || statSync(file).mtimeMs < Math.max(...paths.map(newestMtime));

export function ensureBuild(env = process.env) {
  if (olderThan(path.join(root, '.next', 'BUILD_ID'), sources)) {
    console.error('ensure-build: building hubmesh (the build is missing or older than the sources)...');
    const build = spawnSync(process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { cwd: root, stdio: 'inherit', env });
    if (build.status !== 0) throw new Error(`ensure-build: next build failed (exit ${build.status})`);
  }
  if (olderThan(serverEntry, serverSources)) {
    // in a process of its own: esbuild's buildSync keeps its service running as a child process, which
    // `npm start` would pass on to the server it execs, unreaped
    const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-server.mjs')], { cwd: root, stdio: 'inherit', env });
    if (build.status !== 0) throw new Error(`ensure-build: the server bundle's build failed (exit ${build.status})`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureBuild();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
