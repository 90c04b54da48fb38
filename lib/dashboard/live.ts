/** The kinds the watch caches follow, by their plural, as the live stream names them. */
export const WATCHED_KINDS = ['virtualservices', 'pods', 'services', 'peerauthentications', 'destinationrules', 'gateways', 'namespaces', 'envoyfilters', 'authorizationpolicies', 'networkpolicies'] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number];

const isWatchedKind = (plural: string): plural is WatchedKind => (WATCHED_KINDS as readonly string[]).includes(plural);

/** The kind a mesh cache holds, from the name it is listed under (`peerauthentications@root` → `peerauthentications`). */
export function watchedKindOfCache(cacheName: string): WatchedKind {
  const plural = cacheName.split('@')[0]!;
  if (!isWatchedKind(plural)) throw new Error(`the cache ${JSON.stringify(cacheName)} holds a kind the live stream does not know: add it to WATCHED_KINDS`);
  return plural;
}

/** One object changed in a watch cache; `version` is the dashboard's version after it. */
export type ObjectChange = { version: number; kind: WatchedKind; name: string };

/** The objects of one kind that changed; without `names`, too many to list (any object of the kind may have). */
export type ChangedKind = { kind: WatchedKind; names?: string[] };

export type LiveState = { version: number; synced: boolean };
/** `since` is the version the previous event left the browser at, so a gap shows. */
export type LiveChange = LiveState & { since: number; changes: ChangedKind[] };
export type LiveEvent = { event: 'hello'; data: LiveState } | { event: 'status'; data: LiveState } | { event: 'change'; data: LiveChange };

/** The changes of one coalescing window, by kind, each kind with up to `maxNames` names. */
export class ChangeBatch {
  private readonly byKind = new Map<WatchedKind, Set<string> | 'many'>();
  private first: number | undefined;
  private last = 0;

  constructor(private readonly maxNames: number) {}

  add(change: ObjectChange): void {
    this.first ??= change.version - 1;
    this.last = change.version;
    const names = this.byKind.get(change.kind) ?? new Set<string>();
    if (names === 'many') return;
    names.add(change.name);
    this.byKind.set(change.kind, names.size > this.maxNames ? 'many' : names);
  }

  /** What changed since the last take, and empties the batch. */
  take(): { since: number; version: number; changes: ChangedKind[] } | undefined {
    if (this.first === undefined) return undefined;
    const taken = {
      since: this.first,
      version: this.last,
      changes: [...this.byKind].map(([kind, names]) => (names === 'many' ? { kind } : { kind, names: [...names].sort() })),
    };
    this.byKind.clear();
    this.first = undefined;
    return taken;
  }
}

export type LiveTiming = { coalesceMs: number; heartbeatMs: number; maxNames: number };

/**
 * One browser's live feed: a hello with the current state, a change event per burst of changes (the first
 * change opens a window of `coalesceMs`; what arrives within it goes out together), and a status heartbeat,
 * since whether the caches are synced can change without an object changing (a watch drops).
 * Returns the function that ends the feed.
 */
export function openLiveFeed(
  source: { state(): LiveState; onChange(listener: (change: ObjectChange) => void): () => void },
  send: (event: LiveEvent) => void,
  timing: LiveTiming,
): () => void {
  send({ event: 'hello', data: source.state() });
  const batch = new ChangeBatch(timing.maxNames);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const taken = batch.take();
    if (taken) send({ event: 'change', data: { ...taken, synced: source.state().synced } });
  };
  const unsubscribe = source.onChange((change) => {
    batch.add(change);
    timer ??= setTimeout(flush, timing.coalesceMs);
  });
  const heartbeat = setInterval(() => send({ event: 'status', data: source.state() }), timing.heartbeatMs);
  return () => {
    unsubscribe();
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
  };
}
