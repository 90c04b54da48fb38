import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DebouncedLeaderWork, type DebouncedLeaderWorkOptions } from './debounced-leader-work';

type Pass = { kind: 'first' | 'changes'; signal: AbortSignal; changes?: string[] };

/** Work over caches that sync when `synced` says, recording its passes and warnings; `gate`, when set, holds every pass until it resolves. */
function fixture(options: Partial<DebouncedLeaderWorkOptions<string>> = {}) {
  const state = { synced: true, gate: undefined as Promise<void> | undefined };
  const passes: Pass[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const work = new DebouncedLeaderWork<string>({
    name: 'test work',
    delayMs: 100,
    waitForSync: (timeoutMs) => new Promise((resolve) => setTimeout(() => resolve(state.synced), state.synced ? 0 : timeoutMs)),
    waitingMessage: 'waiting for the cache',
    log: { warn: (message: string) => warnings.push(message), error: (_: unknown, message: string) => errors.push(message) } as unknown as Logger,
    firstPass: async (signal) => {
      passes.push({ kind: 'first', signal });
      await state.gate;
    },
    pass: async (signal, changes) => {
      passes.push({ kind: 'changes', signal, changes });
      await state.gate;
    },
    ...options,
  });
  return { work, state, passes, warnings, errors };
}

/** A promise and its resolve, to hold passes while a test looks. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('DebouncedLeaderWork', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes once when it starts leading, after the caches sync, warning each time it has waited 5 s', async () => {
    const { work, state, passes, warnings } = fixture();
    state.synced = false;
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(warnings).toEqual(['waiting for the cache', 'waiting for the cache']);
    expect(passes).toEqual([]);
    state.synced = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes).toEqual([{ kind: 'first', signal: leadership.signal }]);
  });

  it('makes one pass of the changes within the delay, each change once, and the changes after it another', async () => {
    const { work, passes } = fixture();
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(60);
    work.changed('/b');
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(39);
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    work.changed('/c');
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.slice(1)).toEqual([
      { kind: 'changes', signal: leadership.signal, changes: ['/a', '/b'] },
      { kind: 'changes', signal: leadership.signal, changes: ['/c'] },
    ]);
  });

  it('ignores changes while not leading', async () => {
    const { work, passes } = fixture();
    work.changed('/a');
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(0);
    leadership.abort();
    await work.idle();
    work.changed('/b');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(passes.map((p) => p.kind)).toEqual(['first']);
  });

  it('by default passes over the changes that came while the first pass waited for the caches, after it', async () => {
    const { work, state, passes } = fixture();
    state.synced = false;
    work.lead(new AbortController().signal);
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(200);
    state.synced = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes.map((p) => [p.kind, p.changes])).toEqual([
      ['first', undefined],
      ['changes', ['/a']],
    ]);
  });

  it("with changesBeforeFirstPass 'ignore', takes changes only once the first pass starts", async () => {
    const { work, state, passes } = fixture({ changesBeforeFirstPass: 'ignore' });
    state.synced = false;
    const held = gate();
    state.gate = held.promise;
    work.lead(new AbortController().signal);
    work.changed('/before');
    await vi.advanceTimersByTimeAsync(200);
    state.synced = true;
    await vi.advanceTimersByTimeAsync(5_000);
    work.changed('/during');
    held.open();
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.map((p) => [p.kind, p.changes])).toEqual([
      ['first', undefined],
      ['changes', ['/during']],
    ]);
  });

  it('logs a pass that throws, and still runs the passes after it', async () => {
    let failing = true;
    const { work, passes, errors } = fixture({
      pass: async (signal, changes) => {
        passes.push({ kind: 'changes', signal, changes });
        if (failing) throw new Error('apiserver down');
      },
    });
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toEqual(['test work: a pass failed; the next change starts another']);
    failing = false;
    work.changed('/b');
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.map((p) => p.changes)).toEqual([undefined, ['/a'], ['/b']]);
    await expect(work.idle()).resolves.toBeUndefined();
  });

  it('runs passes one at a time: a pass due while another runs waits for it', async () => {
    const { work, state, passes } = fixture();
    const held = gate();
    state.gate = held.promise;
    work.lead(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(passes.map((p) => p.kind)).toEqual(['first']);
    held.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.map((p) => p.kind)).toEqual(['first', 'changes']);
  });

  it('passes at once with passNow, apart from the changes', async () => {
    const { work, passes } = fixture();
    const now: AbortSignal[] = [];
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/a');
    work.passNow(async (signal) => void now.push(signal));
    await vi.advanceTimersByTimeAsync(0);
    expect(now).toEqual([leadership.signal]);
    expect(passes.map((p) => p.kind)).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.map((p) => p.kind)).toEqual(['first', 'changes']);
  });

  it('on idle drops the changes not yet passed over, and settles once the running pass has', async () => {
    const { work, state, passes } = fixture();
    const held = gate();
    const leadership = new AbortController();
    work.lead(leadership.signal);
    await vi.advanceTimersByTimeAsync(0);
    state.gate = held.promise;
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(100);
    work.changed('/b');
    leadership.abort();
    let settled = false;
    void work.idle().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(settled).toBe(false);
    held.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    work.lead(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/c');
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.map((p) => p.changes)).toEqual([undefined, ['/a'], undefined, ['/c']]);
  });

  it('skips the passes of a leadership that ended before they could run', async () => {
    const { work, state, passes } = fixture();
    const held = gate();
    state.gate = held.promise;
    const first = new AbortController();
    work.lead(first.signal);
    await vi.advanceTimersByTimeAsync(0);
    work.changed('/a');
    await vi.advanceTimersByTimeAsync(100);
    first.abort();
    void work.idle();
    held.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.map((p) => p.kind)).toEqual(['first']);
  });

  it('skips the first pass when leadership ends while it waits for the caches, even if another has started', async () => {
    const { work, state, passes } = fixture();
    state.synced = false;
    const first = new AbortController();
    work.lead(first.signal);
    first.abort();
    void work.idle();
    const second = new AbortController();
    work.lead(second.signal);
    await vi.advanceTimersByTimeAsync(2_000);
    state.synced = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes).toEqual([{ kind: 'first', signal: second.signal }]);
  });
});
