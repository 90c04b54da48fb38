import os from 'node:os';
import { z } from 'zod';
import { eventKind, listAudit, type KubeEvent } from '../kube/events';
import type { Runtime } from '../runtime';
import { createMeshActions, type MeshAction, type MeshActions } from './actions';
import { gatewayInputFromConfig } from './desired';

export const MESH_ACTION_TARGETS = ['gateway', 'injection', 'peer-authentication'] as const;
export type MeshActionTarget = (typeof MESH_ACTION_TARGETS)[number];

export const actionTarget = z.enum(MESH_ACTION_TARGETS, { error: `must be one of ${MESH_ACTION_TARGETS.join(', ')}` });
export const applyBody = z.strictObject({ confirmTakeover: z.boolean().default(false) });

/** What each action ensures, from hubmesh's config: the hub's Gateway, and injection and STRICT mTLS for the hub namespace. */
export function meshAction(rt: Runtime, target: MeshActionTarget): MeshAction {
  const namespace = rt.connection.namespace;
  switch (target) {
    case 'gateway': {
      const gateway = gatewayInputFromConfig(rt.config.proxy, namespace);
      const secret = rt.config.mesh.gatewayTlsSecret;
      return { target, gateway: { ...gateway, selector: rt.config.mesh.gatewaySelector, https: secret ? { credentialName: secret } : undefined } };
    }
    case 'injection':
      return { target, namespace, revision: rt.config.mesh.istioRevision };
    case 'peer-authentication':
      return { target, namespace };
  }
}

const holder = globalThis as typeof globalThis & { __hubmeshMeshActions?: MeshActions };

/** The action pipeline of a cluster-mode runtime; undefined in local mode, which has no Istio. */
export function meshActionsOf(rt: Runtime): MeshActions | undefined {
  if (rt.connection.mode !== 'cluster') return undefined;
  holder.__hubmeshMeshActions ??= createMeshActions({ backend: rt.connection.backend, eventsNamespace: rt.connection.namespace, instance: os.hostname() });
  return holder.__hubmeshMeshActions;
}

/** hubmesh's audit trail: the Events its actions recorded in the hub namespace, newest first. */
export function auditTrail(rt: Runtime) {
  return listAudit(rt.connection.backend<KubeEvent>(eventKind), rt.connection.namespace);
}
