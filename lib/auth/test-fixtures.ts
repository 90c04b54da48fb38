import { expect } from 'vitest';
import type { ConfigMap } from '../kube/configmaps';
import type { ResourceBackend } from '../kube/types';

/**
 * `real`, except that only its first list answers (later ones hang, as against an apiserver that went
 * away) and `failWatch` ends the running watch: a cache on it synced once and is then re-listing.
 */
export function relistingBackend(real: ResourceBackend<ConfigMap>): { backend: ResourceBackend<ConfigMap>; failWatch: () => ((error: Error) => void) | undefined } {
  let lists = 0;
  let failWatch: ((error: Error) => void) | undefined;
  const backend: ResourceBackend<ConfigMap> = {
    ...real,
    list: (...args) => (++lists === 1 ? real.list(...args) : new Promise(() => undefined)),
    watch: async (namespace, options, onEvent, onClose) => {
      failWatch = onClose;
      return real.watch(namespace, options, onEvent, () => undefined);
    },
  };
  return { backend, failWatch: () => failWatch };
}

/** Waits until `check` holds, up to 5 s: watch events are prompt, but a loaded CI machine can hold them back. */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
