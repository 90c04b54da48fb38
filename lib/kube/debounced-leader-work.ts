import type { Logger } from 'pino';
import type { LeaderWork } from './leader-election';

/** How long the first pass waits for the caches before it logs that it is still waiting, and waits again. */
const SYNC_WAIT_MS = 5_000;

export type DebouncedLeaderWorkOptions<Change> = {
  /** names the work in its log lines */
  name: string;
  /** how long after the first change a pass starts: the changes meanwhile join it */
  delayMs: number;
  /** resolves true once the caches the passes read have synced, false when `timeoutMs` passes first */
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** logged (warn) each time the first pass has waited SYNC_WAIT_MS for the caches */
  waitingMessage: string;
  log: Logger;
  /** the pass on starting to lead, once the caches have synced */
  firstPass(signal: AbortSignal): Promise<void>;
  /** the pass after changes, with those that came since the last one */
  pass(signal: AbortSignal, changes: Change[]): Promise<void>;
  /** 'ignore' drops the changes before the first pass starts (it covers them); by default they get a pass after it */
  changesBeforeFirstPass?: 'queue' | 'ignore';
};

/**
 * The mechanics of leader work that follows changes: a first pass when leadership starts (once the caches
 * have synced), then a pass `delayMs` after a change, one for all the changes meanwhile. Passes run one at a
 * time, each with the signal of the leadership it runs under, and not at all once that has ended; what a pass
 * does when leadership ends midway is up to the pass; one that throws is logged and the loop goes on.
 */
export class DebouncedLeaderWork<Change = never> implements LeaderWork {
  /** the leadership that takes changes; aborted (or undefined) when none does */
  private leadership: AbortSignal | undefined;
  private readonly changes = new Set<Change>();
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: DebouncedLeaderWorkOptions<Change>) {}

  /** Something a pass depends on changed: while leading, a pass follows within delayMs. */
  changed(...changes: Change[]): void {
    if (!this.leading()) return;
    for (const change of changes) this.changes.add(change);
    this.timer ??= setTimeout(() => this.flush(), this.options.delayMs);
  }

  /** While leading, queues `pass` at once, without waiting for the delay or joining other changes. */
  passNow(pass: (signal: AbortSignal) => Promise<void>): void {
    if (this.leading()) this.enqueue(pass);
  }

  /** A previous leadership's passes finish first. */
  lead(signal: AbortSignal): void {
    const { waitForSync, waitingMessage, log, firstPass, changesBeforeFirstPass } = this.options;
    if (changesBeforeFirstPass !== 'ignore') this.leadership = signal;
    this.loop = this.loop.then(async () => {
      while (!signal.aborted && !(await waitForSync(SYNC_WAIT_MS))) log.warn(waitingMessage);
      if (signal.aborted) return;
      if (changesBeforeFirstPass === 'ignore') this.leadership = signal;
      await this.guarded(firstPass, signal);
    });
  }

  /** Settles once no pass is running; the changes not yet passed over are dropped. */
  idle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changes.clear();
    return this.loop;
  }

  private leading(): boolean {
    return this.leadership !== undefined && !this.leadership.aborted;
  }

  private flush(): void {
    this.timer = undefined;
    const changes = [...this.changes];
    this.changes.clear();
    this.enqueue((signal) => this.options.pass(signal, changes));
  }

  private enqueue(pass: (signal: AbortSignal) => Promise<void>): void {
    this.loop = this.loop.then(() => {
      const signal = this.leadership;
      return signal && !signal.aborted ? this.guarded(pass, signal) : undefined;
    });
  }

  /** A pass that throws is logged, and the passes after it still run. */
  private async guarded(pass: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
    try {
      await pass(signal);
    } catch (error) {
      this.options.log.error({ err: error }, `${this.options.name}: a pass failed; the next change starts another`);
    }
  }
}
