import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeBatch, openLiveFeed, watchedKindOfCache, type LiveEvent, type LiveState, type ObjectChange } from './live';

describe('watchedKindOfCache', () => {
  it('reads the kind from the name a mesh cache is listed under', () => {
    expect(['peerauthentications@hub', 'destinationrules@root', 'gateways', 'virtualservices@foreign', 'namespaces'].map(watchedKindOfCache)).toEqual([
      'peerauthentications',
      'destinationrules',
      'gateways',
      'virtualservices',
      'namespaces',
    ]);
  });

  it('refuses a cache of a kind the stream does not know, rather than leaving it out of the events', () => {
    expect(watchedKindOfCache('authorizationpolicies@root')).toBe('authorizationpolicies');
    expect(() => watchedKindOfCache('serviceentries@hub')).toThrow(/WATCHED_KINDS/);
  });
});

describe('ChangeBatch', () => {
  it('holds nothing until a change arrives', () => {
    expect(new ChangeBatch(3).take()).toBeUndefined();
  });

  it('groups a burst by kind, each name once, with the versions before and after it', () => {
    const batch = new ChangeBatch(3);
    batch.add({ version: 8, kind: 'pods', name: 'b' });
    batch.add({ version: 9, kind: 'virtualservices', name: 'hub-route' });
    batch.add({ version: 10, kind: 'pods', name: 'a' });
    batch.add({ version: 11, kind: 'pods', name: 'b' });
    expect(batch.take()).toEqual({
      since: 7,
      version: 11,
      changes: [
        { kind: 'pods', names: ['a', 'b'] },
        { kind: 'virtualservices', names: ['hub-route'] },
      ],
    });
  });

  it('drops the names of a kind once there are more than it lists, keeping the kind', () => {
    const batch = new ChangeBatch(2);
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) batch.add({ version: i + 1, kind: 'pods', name });
    batch.add({ version: 5, kind: 'services', name: 'svc' });
    expect(batch.take()?.changes).toEqual([{ kind: 'pods' }, { kind: 'services', names: ['svc'] }]);
  });

  it('starts empty again after a take, the next batch following on from the last', () => {
    const batch = new ChangeBatch(2);
    batch.add({ version: 1, kind: 'pods', name: 'a' });
    batch.take();
    expect(batch.take()).toBeUndefined();
    batch.add({ version: 2, kind: 'namespaces', name: 'hub' });
    expect(batch.take()).toEqual({ since: 1, version: 2, changes: [{ kind: 'namespaces', names: ['hub'] }] });
  });
});

describe('openLiveFeed', () => {
  const timing = { coalesceMs: 150, heartbeatMs: 5_000, maxNames: 20 };

  /** A dashboard of its own: changes move the version, as DashboardState's do. */
  function source() {
    const state: LiveState = { version: 3, synced: true };
    const listeners = new Set<(change: ObjectChange) => void>();
    return {
      state: () => ({ ...state }),
      onChange(listener: (change: ObjectChange) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      change(kind: ObjectChange['kind'], name: string) {
        state.version++;
        for (const l of listeners) l({ version: state.version, kind, name });
      },
      unsync: () => {
        state.synced = false;
      },
      get listening() {
        return listeners.size;
      },
    };
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says hello with the current state, then sends one change event per burst', () => {
    const dashboard = source();
    const sent: LiveEvent[] = [];
    openLiveFeed(dashboard, (e) => sent.push(e), timing);
    expect(sent).toEqual([{ event: 'hello', data: { version: 3, synced: true } }]);
    dashboard.change('pods', 'jupyter-a');
    vi.advanceTimersByTime(100);
    dashboard.change('virtualservices', 'hub-route');
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(50);
    expect(sent.slice(1)).toEqual([
      {
        event: 'change',
        data: { since: 3, version: 5, synced: true, changes: [{ kind: 'pods', names: ['jupyter-a'] }, { kind: 'virtualservices', names: ['hub-route'] }] },
      },
    ]);
    dashboard.change('pods', 'jupyter-b');
    vi.advanceTimersByTime(150);
    expect(sent.at(-1)).toEqual({ event: 'change', data: { since: 5, version: 6, synced: true, changes: [{ kind: 'pods', names: ['jupyter-b'] }] } });
  });

  it('reports whether the caches are synced on a heartbeat, without a change', () => {
    const dashboard = source();
    const sent: LiveEvent[] = [];
    openLiveFeed(dashboard, (e) => sent.push(e), timing);
    dashboard.unsync();
    vi.advanceTimersByTime(5_000);
    expect(sent.at(-1)).toEqual({ event: 'status', data: { version: 3, synced: false } });
  });

  it('sends nothing more once ended, not even a burst it had started', () => {
    const dashboard = source();
    const sent: LiveEvent[] = [];
    const end = openLiveFeed(dashboard, (e) => sent.push(e), timing);
    dashboard.change('pods', 'jupyter-a');
    end();
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    expect(dashboard.listening).toBe(0);
  });
});
