/**
 * A value shared by everything in this process that knows the slot's name, kept on globalThis. Next's
 * bundle and hubmesh's server bundle (server/main.ts) are separate module graphs, each with its own copy
 * of a module; and Next's dev-mode reloads make new ones. The state lives here, not in a module.
 */
type SlotState<T> = { value?: T; waiting: Array<(value: T) => void> };

export function processSlot<T>(name: string) {
  const key = Symbol.for(`hubmesh.${name}`);
  const holder = globalThis as typeof globalThis & Record<symbol, SlotState<T> | undefined>;
  const state = (holder[key] ??= { waiting: [] });
  return {
    get: (): T | undefined => state.value,
    set(value: T): T {
      state.value = value;
      for (const resolve of state.waiting.splice(0)) resolve(value);
      return value;
    },
    /** The value once it is set: at once if it is. */
    whenSet: (): Promise<T> => (state.value !== undefined ? Promise.resolve(state.value) : new Promise((resolve) => state.waiting.push(resolve))),
  };
}

/** The process's runtime (lib/runtime.ts): Next makes it at start-up (instrumentation.ts); server/main.ts serves the proxy API from it. */
export const RUNTIME_SLOT = 'runtime';
