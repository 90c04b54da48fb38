import { processSlot, RUNTIME_SLOT } from './process-slot';
import type { Runtime } from './runtime';

const runtimeSlot = processSlot<Runtime>(RUNTIME_SLOT);

/**
 * The process's runtime, which the server made as it started (instrumentation.ts, lib/startup.ts)
 * before it took any request. Routes and pages read it here rather than from lib/runtime.ts: Next
 * bundles each route on its own, and an import of the composition root put all of lib/ into every one.
 */
export function getRuntime(): Runtime {
  const runtime = runtimeSlot.get();
  if (!runtime) throw new Error('hubmesh: the runtime is not started (instrumentation.ts starts it before the server takes requests)');
  return runtime;
}
