// How hubmesh's server process is started: the built server entry (the front door before Next, see
// server/main.ts), Node's V8 flags and the C library's allocator settings. Shared by `npm start` and
// the test and bench harnesses, so that they measure what production runs.
//
// Left to themselves, V8 sizes the heap from the machine's memory and collects lazily, and glibc keeps
// freed memory in per-thread arenas: on a large node, a server whose live data is ~130 MB (5,000 routes
// and 5,000 pods) grew past 500 MB resident under a burst of writes. So:
//   - a young generation of 2 MB per semi-space (V8's default grows to 32 MB);
//   - an old space that grows by 20% over what survived the last full collection (V8 picks up to 4x),
//     under a ceiling of HUBMESH_HEAP_MB (default 256, room for about 10,000 routes and 10,000 pods);
//   - two malloc arenas, and allocations of 128 KB and more mapped and unmapped on their own (HTTP and
//     TLS buffers are malloc'ed), so freed native memory goes back to the system.
// Whatever the operator sets (NODE_OPTIONS, MALLOC_*) wins.
import path from 'node:path';
import { z } from 'zod';

/**
 * server/main.ts, bundled by scripts/build-server.mjs, in the checkout at `root`: run it as
 * `node [nodeArgs] <entry> [--port N] [--hostname H]`. (No import.meta here: Playwright loads this
 * file as CommonJS through the test harness.)
 */
export const serverEntryIn = (root) => path.join(root, '.next', 'hubmesh-server.mjs');

export const DEFAULT_HEAP_MB = 256;
const SEMI_SPACE_MB = 2;
const HEAP_GROWING_PERCENT = 20;
const ALLOCATOR = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };

const heapMb = z.coerce.number().int().min(96).max(65_536);

/**
 * Node's command-line flags and the environment for the server, given the environment it is started
 * from. Throws a one-line message on a bad HUBMESH_HEAP_MB.
 */
export function serverProcess(env = process.env) {
  const raw = env.HUBMESH_HEAP_MB?.trim();
  const parsed = heapMb.safeParse(raw === undefined || raw === '' ? DEFAULT_HEAP_MB : raw);
  if (!parsed.success) throw new Error(`config: HUBMESH_HEAP_MB must be a whole number of MB from 96 to 65536, got ${JSON.stringify(raw)}`);
  const nodeOptions = env.NODE_OPTIONS ?? '';
  const nodeArgs = [];
  if (!/--max-semi-space-size\b/.test(nodeOptions)) nodeArgs.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  if (!/--max-old-space-size\b/.test(nodeOptions)) nodeArgs.push(`--max-old-space-size=${parsed.data}`);
  if (!/--heap-growing-percent\b/.test(nodeOptions)) nodeArgs.push(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const allocator = Object.entries(ALLOCATOR).some(([key]) => env[key] !== undefined) ? {} : ALLOCATOR;
  return { nodeArgs, env: { ...allocator, ...env } };
}
