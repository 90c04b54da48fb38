import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { isNotFound } from '@/lib/kube/errors';
import { LeaderElector, type LeaderElectionTimings } from '@/lib/kube/leader-election';
import { leaseKind, type Lease } from '@/lib/kube/leases';
import { cuttableApiserver } from './tcp-cut';
import { eventually, HUB_NAMESPACE, testLog, uniqueName } from './helpers';

const timings: LeaderElectionTimings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const backendFor = (kubeconfig: string) => connect(parseConfig({ KUBECONFIG: kubeconfig, HUBMESH_NAMESPACE: HUB_NAMESPACE })).backend<Lease>(leaseKind);
const appLeases = backendFor(inject('appKubeconfig'));
// the app identity may not delete leases; the admin cleans up
const adminLeases = backendFor(inject('adminKubeconfig'));

type Interval = { identity: string; start: number; end?: number };

/** Candidates for one lease, each recording when it led, from its own callbacks. */
function election(leaseName: string) {
  const intervals: Interval[] = [];
  const electors: LeaderElector[] = [];
  const candidate = (identity: string, backend = appLeases) => {
    const elector = new LeaderElector({
      backend,
      namespace: HUB_NAMESPACE,
      name: leaseName,
      identity,
      ...timings,
      log: testLog,
      onStartedLeading: () => void intervals.push({ identity, start: performance.now() }),
      onStoppedLeading: () => {
        const open = intervals.findLast((i) => i.identity === identity && i.end === undefined);
        open!.end = performance.now();
      },
    });
    electors.push(elector);
    elector.start();
    return elector;
  };
  const leaders = () => electors.filter((e) => e.isLeader());
  const leader = () => eventually(() => (leaders().length === 1 ? leaders()[0] : undefined), 'exactly one leader', 10_000);
  /** "Never two at once": every leadership ended before the next one started. */
  const assertNoOverlap = () => {
    const sorted = [...intervals].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i - 1]!.end, `${sorted[i - 1]!.identity} was still leading when ${sorted[i]!.identity} started`).toBeDefined();
      expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end!);
    }
  };
  const stopAll = () => Promise.all(electors.map((e) => e.stop()));
  return { candidate, leaders, leader, intervals, assertNoOverlap, stopAll };
}

async function leaseRecord(name: string) {
  return (await adminLeases.get(HUB_NAMESPACE, name)).spec ?? {};
}

describe('leader election on a coordination.k8s.io Lease', () => {
  const leaseNames: string[] = [];
  const teardowns: Array<() => Promise<unknown>> = [];
  const newLease = () => {
    const name = uniqueName('hubmesh-test-lease');
    leaseNames.push(name);
    return name;
  };
  afterEach(async () => {
    for (const t of teardowns.splice(0).reverse()) await t();
  });
  afterAll(async () => {
    for (const name of leaseNames) {
      await adminLeases.delete(HUB_NAMESPACE, name).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  });

  it('elects exactly one of three candidates, and hands over at once when the leader stops and releases', async () => {
    const name = newLease();
    const e = election(name);
    teardowns.push(e.stopAll);
    for (const id of ['a', 'b', 'c']) e.candidate(`${id}-${name}`);

    const first = await e.leader();
    // the others keep trying for two lease durations without ever leading alongside it
    const watchUntil = performance.now() + 2 * timings.leaseDurationMs;
    while (performance.now() < watchUntil) {
      expect(e.leaders().map((l) => l.identity)).toEqual([first.identity]);
      await new Promise((r) => setTimeout(r, 50));
    }
    const created = await leaseRecord(name);
    expect(created).toMatchObject({ holderIdentity: first.identity, leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(created.acquireTime).toMatch(MICRO_TIME);
    expect(created.renewTime).toMatch(MICRO_TIME);
    expect(Date.parse(created.renewTime!)).toBeGreaterThan(Date.parse(created.acquireTime!));

    const stoppedAt = performance.now();
    await first.stop();
    expect(first.isLeader()).toBe(false);
    const second = await e.leader();
    // a released lease is taken at a candidate's next attempt (at most retryPeriod × 2.2), not after it expires
    expect(performance.now() - stoppedAt).toBeLessThan(timings.leaseDurationMs);
    expect(second.identity).not.toBe(first.identity);
    await eventually(async () => ((await leaseRecord(name)).holderIdentity === second.identity ? true : undefined), 'the lease to name the successor');
    expect((await leaseRecord(name)).leaseTransitions).toBe(1);
    e.assertNoOverlap();
  });

  it('takes over from a crashed leader (no release) only after the lease has expired', async () => {
    const name = newLease();
    const e = election(name);
    teardowns.push(e.stopAll);
    const a = e.candidate(`a-${name}`);
    await e.leader();
    const b = e.candidate(`b-${name}`);
    expect(a.isLeader()).toBe(true);
    // b sees the lease renewed a few times
    await new Promise((r) => setTimeout(r, timings.leaseDurationMs));
    expect(b.isLeader()).toBe(false);

    const crashedAt = performance.now();
    await a.stop({ release: false });
    await eventually(() => (b.isLeader() ? true : undefined), 'b to take over', 10_000);
    const waited = performance.now() - crashedAt;
    // a renewed at most one retry period before it stopped; b counts the lease duration from when it saw that renewal
    expect(waited).toBeGreaterThanOrEqual(timings.leaseDurationMs - timings.retryPeriodMs);
    expect(waited).toBeLessThan(timings.leaseDurationMs + 4 * timings.retryPeriodMs * 2.2);
    expect(await leaseRecord(name)).toMatchObject({ holderIdentity: b.identity, leaseTransitions: 1 });
    e.assertNoOverlap();
  });

  it('a leader cut off from the apiserver stops leading before anyone else can start', async () => {
    const name = newLease();
    const e = election(name);
    teardowns.push(e.stopAll);
    const path = await cuttableApiserver(inject('appKubeconfig'));
    teardowns.push(path.close);
    const a = e.candidate(`a-${name}`, backendFor(path.kubeconfig));
    await e.leader();
    const b = e.candidate(`b-${name}`);
    await new Promise((r) => setTimeout(r, timings.leaseDurationMs));

    const cutAt = performance.now();
    await path.cut();
    await eventually(() => (b.isLeader() ? true : undefined), 'b to take over', 10_000);
    const [aTerm, bTerm] = [e.intervals.find((i) => i.identity === a.identity)!, e.intervals.find((i) => i.identity === b.identity)!];
    // a gave up on its own, within the renew deadline of its last renewal (sent at most one retry period before the cut)
    expect(aTerm.end! - cutAt).toBeLessThanOrEqual(timings.renewDeadlineMs + 100);
    // and b started about leaseDuration − renewDeadline after that (less a's timer's lateness): the margin that keeps the two apart
    expect(bTerm.start - aTerm.end!).toBeGreaterThanOrEqual(timings.leaseDurationMs - timings.renewDeadlineMs - 100);

    // back on the network, a finds b holding the lease and stays a follower
    await path.restore();
    await new Promise((r) => setTimeout(r, 2 * timings.leaseDurationMs));
    expect(e.leaders().map((l) => l.identity)).toEqual([b.identity]);
    expect(await leaseRecord(name)).toMatchObject({ holderIdentity: b.identity, leaseTransitions: 1 });
    e.assertNoOverlap();
  });
});
