import { describe, expect, it } from 'vitest';
import { auditEntries, eventFor, microTime, REPORTING_CONTROLLER, truncateUtf8, type EventRecord, type KubeEvent } from './events';

const record: EventRecord = {
  regarding: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', namespace: 'jupyterhub', name: 'jupyterhub-gateway', uid: 'a1b2' },
  actor: 'alice',
  action: 'EnsureGateway',
  reason: 'AppliedByHubmesh',
  type: 'Normal',
  note: 'alice: ensure Gateway jupyterhub/jupyterhub-gateway for *: created',
};
const epochMs = Date.parse('2026-11-25T12:34:56.789Z') + 0.25;
const options = { namespace: 'jupyterhub', reportingInstance: 'hubmesh-7d9f-abcde', epochMs, suffix: '0f3a' };

describe('microTime', () => {
  it('is RFC 3339 in UTC with six fractional digits', () => {
    expect(microTime(epochMs)).toBe('2026-11-25T12:34:56.789250Z');
    expect(microTime(Date.parse('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000000Z');
    expect(microTime(Date.parse('2026-01-01T00:00:00Z') + 0.007)).toBe('2026-01-01T00:00:00.000007Z');
  });
});

describe('eventFor', () => {
  it('builds an events.k8s.io/v1 Event on the object, reported by the console, with the actor', () => {
    expect(eventFor(record, options)).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `jupyterhub-gateway.${((BigInt(Date.parse("2026-11-25T12:34:56.789Z")) * 1000n + 250n) * 1000n).toString(16)}0f3a`,
        namespace: 'jupyterhub',
        labels: { 'app.kubernetes.io/managed-by': 'hubmesh' },
        annotations: { 'hubmesh.io/actor': 'alice' },
      },
      regarding: record.regarding,
      reason: 'AppliedByHubmesh',
      note: record.note,
      action: 'EnsureGateway',
      type: 'Normal',
      eventTime: '2026-11-25T12:34:56.789250Z',
      reportingController: 'hubmesh.io/console',
      reportingInstance: 'hubmesh-7d9f-abcde',
    });
  });

  it('gives a cluster-scoped object the Event’s namespace, which the apiserver requires outside default', () => {
    const event = eventFor({ ...record, regarding: { apiVersion: 'v1', kind: 'Namespace', name: 'jupyterhub' } }, options);
    expect(event.regarding).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'jupyterhub', namespace: 'jupyterhub' });
    expect(event.metadata.namespace).toBe('jupyterhub');
  });

  it('keeps the name a DNS subdomain of at most 253 characters for a long object name', () => {
    const name = eventFor({ ...record, regarding: { ...record.regarding, name: `${'a'.repeat(230)}-${'b'.repeat(22)}` } }, options).metadata.name;
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
  });

  it('cuts a long note to the apiserver’s 1 kB limit', () => {
    const event = eventFor({ ...record, note: 'ü'.repeat(2000) }, options);
    expect(new TextEncoder().encode(event.note).length).toBeLessThanOrEqual(1024);
    expect(event.note!.endsWith('…')).toBe(true);
  });
});

describe('truncateUtf8', () => {
  it('leaves short text alone and never splits a character', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    expect(truncateUtf8('aé€😀', 8)).toBe('aé…');
  });
});

describe('auditEntries', () => {
  const event = (when: string, reason: string, controller = REPORTING_CONTROLLER): KubeEvent => ({
    ...eventFor({ ...record, reason, type: reason === 'DryRunRejected' ? 'Warning' : 'Normal' }, options),
    eventTime: when,
    reportingController: controller,
  });

  it('lists the console’s Events newest first as who, what, when and result', () => {
    const entries = auditEntries([
      event('2026-11-25T10:00:00.000000Z', 'AppliedByHubmesh'),
      event('2026-11-25T11:00:00.000000Z', 'DryRunRejected'),
      event('2026-11-25T12:00:00.000000Z', 'Scheduled', 'default-scheduler'),
    ]);
    expect(entries).toEqual([
      {
        when: '2026-11-25T11:00:00.000000Z',
        who: 'alice',
        action: 'EnsureGateway',
        object: record.regarding,
        result: 'DryRunRejected',
        type: 'Warning',
        message: record.note,
      },
      expect.objectContaining({ when: '2026-11-25T10:00:00.000000Z', result: 'AppliedByHubmesh', type: 'Normal' }),
    ]);
  });
});
