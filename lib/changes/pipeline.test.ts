import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api-error';
import { eventKind, listAudit, type KubeEvent } from '../kube/events';
import { LocalStore } from '../kube/local-backend';
import { namespaceKind } from '../kube/namespaces';
import type { KubeObject } from '../kube/types';
import { virtualServiceKind } from '../kube/virtualservices';
import { CHANGE_LOG_MESSAGE, changePipeline, diffSummary, eventRecorder, referenceTo, type ChangeKind, type ChangeRecord } from './pipeline';
import { recordingPipeline } from './test-fixtures';

type Weighted = KubeObject & { spec: { weight: number } };
const before: Weighted = { metadata: { name: 'demo', namespace: 'hub', uid: 'uid-1' }, spec: { weight: 10 } };
const after: Weighted = { metadata: { name: 'demo', namespace: 'hub', uid: 'uid-1' }, spec: { weight: 20 } };

type Plan = { weight: number };

/** A kind that writes `after` over `before`, noting each stage it runs in `stages`; `fail` throws at one stage. */
function weightKind(options: { fail?: 'validate' | 'dry-run' | 'apply'; refusals?: boolean } = {}) {
  const stages: string[] = [];
  const refusal = (stage: string) => new ApiError(409, 'conflict', `refused at ${stage}`);
  const record = (reason: string, type: ChangeRecord['type'], note: string): ChangeRecord => ({
    action: 'SetWeight',
    regarding: referenceTo(virtualServiceKind, { namespace: 'hub', name: 'demo', uid: 'uid-1' }),
    reason,
    type,
    note,
  });
  const kind: ChangeKind<number, Plan> = {
    plan: (weight) => (stages.push('plan'), { weight }),
    validate: () => {
      stages.push('validate');
      if (options.fail === 'validate') throw refusal('validate');
    },
    dryRun: async () => {
      stages.push('dry-run');
      if (options.fail === 'dry-run') throw refusal('dry-run');
    },
    write: async (_plan, { dryRun }) => {
      stages.push(dryRun ? 'write (dry run)' : 'write');
      if (options.fail === 'apply') throw refusal('apply');
      return { before, after };
    },
    applied: ({ weight }) => record('AppliedByHubmesh', 'Normal', `weight ${weight}`),
    ...(options.refusals ? { refused: (_plan: Plan, error: ApiError, stage: string) => record(`RefusedAt-${stage}`, 'Warning', error.message) } : {}),
  };
  return { kind, stages };
}

describe('changePipeline', () => {
  it('plans, validates, dry-runs, applies, then records the change as an Event and one audit log line', async () => {
    const { kind, stages } = weightKind();
    const { changes, events, lines } = recordingPipeline({ events: true });
    const result = await changes.run(kind, 20, { actor: 'admin' });

    expect(stages).toEqual(['plan', 'validate', 'dry-run', 'write']);
    expect(result).toMatchObject({ dryRun: false, plan: { weight: 20 }, before, after, audit: { recorded: true, event: 'event-1' } });
    expect(result.diff.flatMap((hunk) => hunk.lines).filter((line) => line.op !== 'context')).toEqual([
      { op: 'remove', text: '  weight: 10' },
      { op: 'add', text: '  weight: 20' },
    ]);
    expect(events).toEqual([{ actor: 'admin', action: 'SetWeight', regarding: expect.objectContaining({ kind: 'VirtualService', name: 'demo' }), reason: 'AppliedByHubmesh', type: 'Normal', note: 'weight 20' }]);
    expect(lines).toEqual([
      {
        message: CHANGE_LOG_MESSAGE,
        fields: {
          audit: 'change',
          actor: 'admin',
          action: 'SetWeight',
          kind: 'VirtualService',
          namespace: 'hub',
          name: 'demo',
          outcome: 'AppliedByHubmesh',
          dryRun: false,
          diff: { added: 1, removed: 1, sha256: diffSummary(result.diff).sha256 },
          event: 'event-1',
          eventError: undefined,
        },
      },
    ]);
  });

  it("answers a dry run with the apiserver's result and diff, writes no Event, and logs it as a dry run", async () => {
    const { kind, stages } = weightKind();
    const { changes, events, lines } = recordingPipeline({ events: true });
    const result = await changes.run(kind, 20, { actor: 'admin', dryRun: true });

    expect(stages).toEqual(['plan', 'validate', 'write (dry run)']);
    expect(result).not.toHaveProperty('audit');
    expect(result.diff).not.toEqual([]);
    expect(events).toEqual([]);
    expect(lines).toMatchObject([{ fields: { outcome: 'DryRun', dryRun: true } }]);
  });

  it('still logs an applied change where there are no Events (local mode)', async () => {
    const { changes, lines } = recordingPipeline({ events: false });
    expect(await changes.run(weightKind().kind, 20, { actor: 'admin' })).not.toHaveProperty('audit');
    expect(lines).toMatchObject([{ fields: { outcome: 'AppliedByHubmesh', dryRun: false } }]);
  });

  it.each(['validate', 'dry-run', 'apply'] as const)('records a refusal at %s as its kind words it, and throws it', async (stage) => {
    const { kind, stages } = weightKind({ fail: stage, refusals: true });
    const { changes, events, lines } = recordingPipeline({ events: true });
    await expect(changes.run(kind, 20, { actor: 'admin' })).rejects.toMatchObject({ status: 409, message: `refused at ${stage}` });

    expect(stages.at(-1)).toBe(stage === 'apply' ? 'write' : stage);
    expect(events).toEqual([expect.objectContaining({ actor: 'admin', reason: `RefusedAt-${stage}`, type: 'Warning', note: `refused at ${stage}` })]);
    expect(lines).toMatchObject([{ fields: { outcome: `RefusedAt-${stage}`, dryRun: false, status: 409, code: 'conflict', error: `refused at ${stage}` } }]);
  });

  it('only throws a refusal its kind does not record, or that is not an ApiError', async () => {
    const { changes, events, lines } = recordingPipeline({ events: true });
    await expect(changes.run(weightKind({ fail: 'apply' }).kind, 20, { actor: 'admin' })).rejects.toThrow('refused at apply');
    const buggy: ChangeKind<number, Plan> = { ...weightKind({ refusals: true }).kind, write: () => Promise.reject(new TypeError('a bug')) };
    await expect(changes.run(buggy, 20, { actor: 'admin' })).rejects.toThrow('a bug');
    expect(events).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('reports an Event it cannot record: in the answer for an applied change, in the error for a refusal', async () => {
    const log = { info: () => undefined } as never;
    const changes = changePipeline({ events: () => Promise.reject(new Error('events.events.k8s.io is forbidden')), log });
    expect(await changes.run(weightKind().kind, 20, { actor: 'admin' })).toMatchObject({ audit: { recorded: false, error: 'events.events.k8s.io is forbidden' } });
    await expect(changes.run(weightKind({ fail: 'validate', refusals: true }).kind, 20, { actor: 'admin' })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
      message: 'refused at validate (the audit Event was not recorded: events.events.k8s.io is forbidden)',
    });
  });
});

describe('changePipeline.record', () => {
  it("audits a change made outside run() (the janitor's batch) with the same Event and log line, and no diff", async () => {
    const { changes, events, lines } = recordingPipeline({ events: true });
    const expiry: ChangeRecord = { action: 'ExpirePreview', regarding: referenceTo(virtualServiceKind, { namespace: 'hub', name: 'route-vs' }), reason: 'PreviewExpired', type: 'Normal', note: 'preview demo expired' };
    expect(await changes.record('hubmesh-janitor', expiry)).toEqual({ recorded: true, event: 'event-1' });
    expect(events).toEqual([{ actor: 'hubmesh-janitor', ...expiry }]);
    expect(lines).toEqual([
      {
        message: CHANGE_LOG_MESSAGE,
        fields: { audit: 'change', actor: 'hubmesh-janitor', action: 'ExpirePreview', kind: 'VirtualService', namespace: 'hub', name: 'route-vs', outcome: 'PreviewExpired', dryRun: false, event: 'event-1', eventError: undefined },
      },
    ]);
  });

  it('logs it alone where there are no Events (local mode)', async () => {
    const { changes, lines } = recordingPipeline({ events: false });
    const expiry: ChangeRecord = { action: 'ExpirePreview', regarding: referenceTo(virtualServiceKind, { namespace: 'hub', name: 'route-vs' }), reason: 'PreviewExpired', type: 'Normal', note: 'x' };
    expect(await changes.record('hubmesh-janitor', expiry)).toBeUndefined();
    expect(lines.map((l) => l.fields.outcome)).toEqual(['PreviewExpired']);
  });
});

describe('eventRecorder', () => {
  it('records the change as an Event on its object, reported by the instance, with the actor first in the note', async () => {
    const events = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-audit-'))).backend<KubeEvent>(eventKind);
    const record: ChangeRecord = {
      action: 'SetRouteOverlays',
      regarding: referenceTo(virtualServiceKind, { namespace: 'hub', name: 'hubmesh-user-alice', uid: 'uid-1' }),
      reason: 'AppliedByHubmesh',
      type: 'Normal',
      note: 'route /user/alice: canary 10% to demo',
    };
    const event = await eventRecorder({ events, namespace: 'hub', instance: 'hubmesh-0' })('admin', record);

    const { items } = await events.list('hub');
    expect(items.map((e) => e.metadata.name)).toEqual([event.metadata.name]);
    expect(items[0]).toMatchObject({
      regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name: 'hubmesh-user-alice', uid: 'uid-1' },
      action: 'SetRouteOverlays',
      reason: 'AppliedByHubmesh',
      type: 'Normal',
      reportingInstance: 'hubmesh-0',
      note: 'admin: route /user/alice: canary 10% to demo',
    });
    expect(await listAudit(events, 'hub')).toMatchObject([{ who: 'admin', action: 'SetRouteOverlays', result: 'AppliedByHubmesh' }]);
  });
});

describe('referenceTo', () => {
  it('names a namespaced object with its namespace, a cluster-scoped one without', () => {
    expect(referenceTo(virtualServiceKind, { namespace: 'hub', name: 'demo' })).toEqual({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'hub', name: 'demo' });
    expect(referenceTo(namespaceKind, { namespace: '', name: 'hub', uid: 'uid-9' })).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'hub', uid: 'uid-9' });
  });
});
