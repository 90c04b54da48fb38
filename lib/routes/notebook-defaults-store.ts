import type { Logger } from 'pino';
import { parseJson } from '../json';
import type { ConfigMap } from '../kube/configmaps';
import { LABELS } from '../kube/labels';
import { ResourceStore } from '../kube/resource-store';
import type { ResourceBackend } from '../kube/types';
import { NO_DEFAULTS, notebookDefaults, type NotebookDefaults } from './notebook-defaults';
import { issueErrors } from './overlays';
import { canonicalJson } from './virtualservice';

const COMPONENT_LABEL = 'hubmesh.io/component';
const COMPONENT = 'notebook-defaults';
export const DEFAULTS_KEY = 'defaults.json';

/** The defaults a ConfigMap holds; a malformed one (edited by hand) reads as none, with the reason. */
export function defaultsFromConfigMap(cm: ConfigMap | undefined): { defaults: NotebookDefaults; error?: string } {
  const raw = cm?.data?.[DEFAULTS_KEY];
  if (raw === undefined) return { defaults: NO_DEFAULTS };
  let json: unknown;
  try {
    json = parseJson(raw);
  } catch {
    return { defaults: NO_DEFAULTS, error: `${DEFAULTS_KEY} is not JSON` };
  }
  const parsed = notebookDefaults.safeParse(json);
  if (parsed.success) return { defaults: parsed.data };
  return { defaults: NO_DEFAULTS, error: issueErrors(parsed.error.issues as never).map((e) => `${e.field || '(defaults)'}: ${e.message}`).join('; ') };
}

/**
 * The notebook defaults, shared by every replica through one ConfigMap `<prefix>-notebook-defaults` in
 * hubmesh's namespace, read from a watch cache. Listeners hear of each change of what it says.
 */
export class NotebookDefaultsStore {
  readonly name: string;
  readonly store: ResourceStore<ConfigMap>;
  private last: { defaults: NotebookDefaults; error?: string } = { defaults: NO_DEFAULTS };
  private readonly listeners: Array<(defaults: NotebookDefaults) => void> = [];

  constructor(
    backend: ResourceBackend<ConfigMap>,
    readonly namespace: string,
    readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.name = `${prefix}-notebook-defaults`;
    this.store = new ResourceStore<ConfigMap>(backend, namespace, `${LABELS.managedBy}=hubmesh,${LABELS.prefix}=${prefix},${COMPONENT_LABEL}=${COMPONENT}`, log);
    this.store.cache.subscribe(() => this.refresh());
  }

  labels(): Record<string, string> {
    return { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: this.prefix, [COMPONENT_LABEL]: COMPONENT };
  }

  /** The defaults now, and why they read as none when the object is malformed. */
  current(): { defaults: NotebookDefaults; error?: string } {
    return this.last;
  }

  onChange(listener: (defaults: NotebookDefaults) => void): void {
    this.listeners.push(listener);
  }

  private refresh(): void {
    const next = defaultsFromConfigMap(this.store.cache.get(this.name));
    if (next.error && next.error !== this.last.error) this.log.warn({ configMap: this.name, error: next.error }, 'notebook defaults ignored: malformed ConfigMap');
    const changed = canonicalJson(next.defaults) !== canonicalJson(this.last.defaults);
    this.last = next;
    if (changed) for (const listener of this.listeners) listener(next.defaults);
  }
}
