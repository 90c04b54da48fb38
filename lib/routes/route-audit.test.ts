import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventKind, listAudit, type KubeEvent } from '../kube/events';
import { LocalStore } from '../kube/local-backend';
import type { ResourceBackend } from '../kube/types';
import { routeAudit } from './route-audit';

const change = { virtualService: 'hubmesh-user-alice', uid: 'uid-1', actor: 'admin', action: 'SetRouteOverlays', note: 'route /user/alice: canary 10% to demo' };

describe('routeAudit', () => {
  it('records the change as an Event on the VirtualService, reported by the instance, and answers with its name', async () => {
    const events = LocalStore.open(mkdtempSync(path.join(os.tmpdir(), 'hubmesh-audit-'))).backend<KubeEvent>(eventKind);
    const result = await routeAudit({ events, namespace: 'hub', instance: 'hubmesh-0' })(change);

    const { items } = await events.list('hub');
    expect(items).toHaveLength(1);
    expect(result).toEqual({ recorded: true, event: items[0]!.metadata.name });
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

  it('reports a failure to record instead of throwing: the change is already applied', async () => {
    const refusing = { create: () => Promise.reject(new Error('events.events.k8s.io is forbidden')) } as unknown as ResourceBackend<KubeEvent>;
    await expect(routeAudit({ events: refusing, namespace: 'hub', instance: 'hubmesh-0' })(change)).resolves.toEqual({ recorded: false, error: 'events.events.k8s.io is forbidden' });
  });
});
