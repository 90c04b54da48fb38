import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { isConflict, isNotFound, toKubeError } from './errors';
import { leaseKind, microTime, type Lease, type LeaseSpec } from './leases';
import { apiVersionOf, type ResourceBackend } from './types';

export type LeaderElectionTimings = {
  /** How long followers wait, from when they last saw the lease change, before they take it over. Whole seconds: the Lease stores seconds. */
  leaseDurationMs: number;
  /** How long after sending its last successful renewal the leader keeps acting as leader. */
  renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. */
  retryPeriodMs: number;
};

/** client-go's defaults (kube-controller-manager, kube-scheduler). */
export const DEFAULT_TIMINGS: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** As in client-go's wait.JitterUntil: a follower waits retryPeriod × (1 + random × 1.2) between attempts. */
const JITTER_FACTOR = 1.2;

export type LeaderElectorOptions = Partial<LeaderElectionTimings> & {
  backend: ResourceBackend<Lease>;
  namespace: string;
  /** the Lease's name, shared by all candidates */
  name: string;
  /** unique per candidate process, see candidateIdentity() */
  identity: string;
  log: Logger;
  /**
   * Called when this candidate becomes leader. The signal aborts when it stops being leader, before
   * any other candidate can take the lease: work guarded by the lease checks it before every write.
   */
  onStartedLeading?: (signal: AbortSignal) => void;
  /**
   * Called once after each leadership ends (never without a matching onStartedLeading). On stop() the
   * lease is released only after the promise it returns settles, so a successor never starts while
   * writes of ours are still in flight.
   */
  onStoppedLeading?: () => void | Promise<void>;
};

/** `<hostname>-<random>`: a pod's hostname is its name; the suffix tells a restarted container from its previous run. */
export function candidateIdentity(): string {
  return `${hostname()}-${randomBytes(4).toString('hex')}`;
}

/** Throws unless the timings keep the leader's deadline before any follower's takeover, as client-go's NewLeaderElector checks. */
export function validateTimings(timings: LeaderElectionTimings): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  if (!(retryPeriodMs > 0)) throw new Error('leader election: retryPeriod must be greater than zero');
  if (!Number.isInteger(leaseDurationMs / 1000) || leaseDurationMs < 1000) {
    throw new Error(`leader election: leaseDuration must be a whole number of seconds (got ${leaseDurationMs} ms)`);
  }
  if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) {
    throw new Error(`leader election: renewDeadline must be greater than retryPeriod × ${JITTER_FACTOR}`);
  }
}

/** The election fields of a Lease, with the defaults the apiserver leaves out. */
export type LeaderElectionRecord = {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
};

export function recordOf(lease: Lease): LeaderElectionRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ?? '',
    renewTime: spec.renewTime ?? '',
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** The same record, field by field (client-go compares the raw record, so any renewal counts as a change). */
export function sameRecord(a: LeaderElectionRecord, b: LeaderElectionRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Whether a candidate may write itself into the lease: nobody holds it, it holds it already, or the
 * holder has not renewed for the lease's duration, measured on the candidate's own monotonic clock
 * from when it last saw the record change (clocks of different machines are never compared).
 */
export function mayTakeLease(record: LeaderElectionRecord, observedAtMs: number, nowMs: number, identity: string): boolean {
  return !record.holderIdentity || record.holderIdentity === identity || leaseExpired(record, observedAtMs, nowMs);
}

/** Whether the lease's duration has passed since the record was seen to change. */
export function leaseExpired(record: LeaderElectionRecord, observedAtMs: number, nowMs: number): boolean {
  return nowMs >= observedAtMs + record.leaseDurationSeconds * 1000;
}

/** The spec a candidate writes: a renewal keeps acquireTime and the count; a change of holder counts one transition. */
export function nextLeaseSpec(current: LeaderElectionRecord | undefined, identity: string, leaseDurationSeconds: number, now: Date): LeaseSpec {
  const time = microTime(now);
  const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds, acquireTime: time, renewTime: time, leaseTransitions: 0 };
  if (!current) return spec;
  if (current.holderIdentity === identity) return { ...spec, acquireTime: current.acquireTime || time, leaseTransitions: current.leaseTransitions };
  return { ...spec, leaseTransitions: current.leaseTransitions + 1 };
}

/** What a release writes, as client-go does: no holder and a one-second duration, so a successor takes over at its next attempt. */
export function releasedLeaseSpec(current: LeaderElectionRecord, now: Date): LeaseSpec {
  const time = microTime(now);
  return { leaseDurationSeconds: 1, acquireTime: time, renewTime: time, leaseTransitions: current.leaseTransitions };
}

const monotonicMs = () => performance.now();

/**
 * Leader election on a coordination.k8s.io Lease, with client-go's rules (tools/leaderelection):
 * every retry period a candidate reads the lease and writes itself in when it may (see mayTakeLease),
 * with the resourceVersion it read, so of two candidates racing only one write succeeds. The leader
 * renews every retry period, first optimistically with the lease it last wrote.
 *
 * Unlike client-go, which ends Run() when a renewal fails, the elector stays a candidate after losing
 * the lease and may lead again later; each leadership gets its own signal.
 *
 * The leader stops leading (its signal aborts) renewDeadline after it sent its last successful
 * renewal. That write reached the apiserver after it was sent, so no follower can have seen it
 * before, and followers wait leaseDuration > renewDeadline after seeing it: the leader has stopped
 * before anyone may take over, as long as clocks run at about the same rate. Like client-go this is
 * no fencing: a write the leader sent just before its deadline can still land after it.
 */
export class LeaderElector {
  private readonly timings: LeaderElectionTimings;
  private readonly log: Logger;
  private running = false;
  /** bumped by start(), so an attempt that was in flight across stop() and start() is ignored */
  private generation = 0;
  private attemptTimer: NodeJS.Timeout | undefined;
  private attemptInFlight: Promise<unknown> | undefined;
  /** the Lease as last read or written, whose resourceVersion the next write is conditional on */
  private lease: Lease | undefined;
  private observed: { record: LeaderElectionRecord; atMs: number } | undefined;
  private leadership: { controller: AbortController; deadlineMs: number; deadlineTimer: NodeJS.Timeout } | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_TIMINGS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_TIMINGS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_TIMINGS.retryPeriodMs,
    };
    validateTimings(this.timings);
    if (!options.identity) throw new Error('leader election: identity must not be empty');
    this.log = options.log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get identity(): string {
    return this.options.identity;
  }

  /** Whether this candidate is leading now. Also checks the deadline itself, in case its timer is late (a blocked event loop). */
  isLeader(): boolean {
    if (this.leadership && monotonicMs() >= this.leadership.deadlineMs) void this.stopLeading('renew deadline passed');
    return this.leadership !== undefined;
  }

  /** The holder this candidate last saw in the lease (it may have changed since), or undefined. */
  currentLeader(): string | undefined {
    return this.observed?.record.holderIdentity || undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.log.info({ ...this.timings }, 'leader election: candidate started');
    this.scheduleAttempt(0);
  }

  /**
   * Stops leading at once, waits for onStoppedLeading and for an attempt in flight, then (unless
   * `release` is false) releases the lease if this candidate holds it, so a successor need not
   * wait for it to expire.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
    await this.stopLeading('stopped');
    await this.attemptInFlight;
    if (options.release ?? true) await this.release();
    this.log.info('leader election: candidate stopped');
  }

  private scheduleAttempt(delayMs: number): void {
    const generation = this.generation;
    this.attemptTimer = setTimeout(() => void this.attempt(generation), delayMs);
  }

  private async attempt(generation: number): Promise<void> {
    this.attemptTimer = undefined;
    const attempt = this.tryAcquireOrRenew();
    this.attemptInFlight = attempt;
    const sentAtMs = await attempt;
    if (this.attemptInFlight === attempt) this.attemptInFlight = undefined;
    if (!this.running || generation !== this.generation) return;
    if (sentAtMs !== undefined) this.holdUntil(sentAtMs + this.timings.renewDeadlineMs);
    const { retryPeriodMs } = this.timings;
    // the leader renews every retry period; candidates add jitter so they do not all ask at once
    this.scheduleAttempt(this.leadership ? retryPeriodMs : retryPeriodMs * (1 + Math.random() * JITTER_FACTOR));
  }

  /** A renewal (or acquisition) succeeded: lead, or keep leading, until the deadline it earned. */
  private holdUntil(deadlineMs: number): void {
    const remainingMs = deadlineMs - monotonicMs();
    if (remainingMs <= 0) {
      this.log.warn('leader election: the lease was written, but the answer came after the renew deadline; not leading on it');
      return;
    }
    if (this.leadership) {
      clearTimeout(this.leadership.deadlineTimer);
      this.leadership.deadlineMs = deadlineMs;
      this.leadership.deadlineTimer = setTimeout(() => void this.stopLeading('renew deadline passed'), remainingMs);
      return;
    }
    const controller = new AbortController();
    this.leadership = { controller, deadlineMs, deadlineTimer: setTimeout(() => void this.stopLeading('renew deadline passed'), remainingMs) };
    this.log.info({ leaseTransitions: this.observed?.record.leaseTransitions }, 'leader election: started leading');
    try {
      this.options.onStartedLeading?.(controller.signal);
    } catch (error) {
      this.log.error({ err: error }, 'leader election: onStartedLeading failed');
    }
  }

  private async stopLeading(reason: string): Promise<void> {
    const leadership = this.leadership;
    if (!leadership) return;
    this.leadership = undefined;
    clearTimeout(leadership.deadlineTimer);
    leadership.controller.abort(new Error(`leadership ended: ${reason}`));
    (reason === 'stopped' ? this.log.info : this.log.warn).call(this.log, { reason }, 'leader election: stopped leading');
    try {
      await this.options.onStoppedLeading?.();
    } catch (error) {
      this.log.error({ err: error }, 'leader election: onStoppedLeading failed');
    }
  }

  /**
   * client-go's tryAcquireOrRenew. Resolves with the monotonic time from before the first request
   * when this candidate now holds the lease, else undefined. Never throws.
   */
  private async tryAcquireOrRenew(): Promise<number | undefined> {
    const { backend, namespace, name, identity } = this.options;
    const sentAtMs = monotonicMs();
    const leaseDurationSeconds = this.timings.leaseDurationMs / 1000;

    // 1. the leader renews with the lease it last wrote, skipping the read while that lease has surely not expired
    if (this.lease && this.observed?.record.holderIdentity === identity && !leaseExpired(this.observed.record, this.observed.atMs, sentAtMs)) {
      try {
        await this.write(nextLeaseSpec(this.observed.record, identity, leaseDurationSeconds, new Date()));
        return sentAtMs;
      } catch (error) {
        this.log.debug({ err: toKubeError(error).message }, 'leader election: optimistic renewal failed; reading the lease');
      }
    }

    // 2. read the lease, or create it
    let current: Lease;
    try {
      current = await backend.get(namespace, name);
    } catch (error) {
      if (!isNotFound(error)) {
        this.log.warn({ err: toKubeError(error).message }, 'leader election: cannot read the lease');
        return undefined;
      }
      try {
        const created = await backend.create(namespace, {
          apiVersion: apiVersionOf(leaseKind),
          kind: leaseKind.kind,
          metadata: { name, namespace },
          spec: nextLeaseSpec(undefined, identity, leaseDurationSeconds, new Date()),
        });
        this.saw(created);
        return sentAtMs;
      } catch (createError) {
        // AlreadyExists: another candidate created it first; the next attempt reads it
        this.log.info({ err: toKubeError(createError).message }, 'leader election: cannot create the lease');
        return undefined;
      }
    }
    this.saw(current);

    // 3. held by someone else and not expired: wait
    const observed = this.observed!;
    if (!mayTakeLease(observed.record, observed.atMs, monotonicMs(), identity)) return undefined;

    // 4. take or renew it, conditional on the resourceVersion just read
    try {
      await this.write(nextLeaseSpec(observed.record, identity, leaseDurationSeconds, new Date()));
      return sentAtMs;
    } catch (error) {
      const err = toKubeError(error);
      // a conflict is the normal outcome of a race with another candidate
      (isConflict(err) ? this.log.debug : this.log.warn).call(this.log, { err: err.message }, 'leader election: cannot write the lease');
      return undefined;
    }
  }

  private async release(): Promise<void> {
    if (!this.lease || this.observed?.record.holderIdentity !== this.options.identity) return;
    try {
      await this.write(releasedLeaseSpec(this.observed.record, new Date()));
      this.log.info('leader election: lease released');
    } catch (error) {
      // a conflict means another candidate has taken it already
      this.log.warn({ err: toKubeError(error).message }, 'leader election: cannot release the lease');
    }
  }

  private async write(spec: LeaseSpec): Promise<void> {
    const written = await this.options.backend.replace(this.options.namespace, { ...this.lease!, spec });
    this.saw(written);
  }

  /** Keeps the lease for the next conditional write; the observation time moves only when the record changed. */
  private saw(lease: Lease): void {
    this.lease = lease;
    const record = recordOf(lease);
    if (this.observed && sameRecord(this.observed.record, record)) return;
    if (record.holderIdentity !== this.observed?.record.holderIdentity) {
      this.log.info({ holder: record.holderIdentity || undefined, leaseTransitions: record.leaseTransitions }, 'leader election: new lease holder');
    }
    this.observed = { record, atMs: monotonicMs() };
  }
}

/** Work that runs only while its candidate leads: lead() starts it with the leadership's signal, idle() settles once it has stopped. */
export type LeaderWork = { lead(signal: AbortSignal): void; idle(): Promise<void> };

/** What the runtime starts and stops for each piece of leader work: a Lease candidate, or in local mode the one process. */
export type Leadership = { start(): void; stop(): Promise<void> };

/** A candidate for the Lease `options.name` that runs `work` while it holds it. */
export function leaderElected(work: LeaderWork, options: Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading'>): LeaderElector {
  return new LeaderElector({ ...options, onStartedLeading: (signal) => work.lead(signal), onStoppedLeading: () => work.idle() });
}

/** Local mode has one process: it leads from start() until stop(), which settles once the work is idle. */
export function soleLeadership(work: LeaderWork): Leadership {
  let leadership: AbortController | undefined;
  return {
    start() {
      leadership = new AbortController();
      work.lead(leadership.signal);
    },
    async stop() {
      leadership?.abort();
      await work.idle();
    },
  };
}
