import { ApiError, invalidField, isApiError, localModeError } from '@/lib/api-error';
import { observed, readJsonBody } from '@/lib/http/api';
import { actionTarget, applyBody, meshAction, type MeshApiDeps } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { target: string };

function targetOf(params: Params) {
  const target = actionTarget.safeParse(params.target);
  if (!target.success) throw new ApiError(404, 'not-found', `unknown action: ${target.error.issues[0]!.message}`);
  return target.data;
}

function actionsOf(mesh: MeshApiDeps) {
  const { actions } = mesh;
  if (!actions) throw localModeError('mesh actions need a cluster with Istio');
  return actions;
}

/** The plan: YAML preview, diff, ownership, conflict and the apiserver's dry run. Writes nothing. */
export const GET = observed<Params>('/api/v1/mesh/actions/[target]', getRuntime, async (_request, { params }) => {
  const target = targetOf(params);
  const mesh = getRuntime().features.mesh;
  return Response.json(await actionsOf(mesh).plan(meshAction(mesh, target)));
});

/** Applies the action (dry run first, then server-side apply), recorded as an Event with the signed-in admin as actor. */
export const POST = observed<Params>('/api/v1/mesh/actions/[target]', getRuntime, async (request, { params, log, caller }) => {
  const target = targetOf(params);
  const rt = getRuntime();
  const input = applyBody.safeParse((await readJsonBody(request, rt.config.proxy.maxBodyBytes)) ?? {});
  if (!input.success) throw invalidField(input.error.issues[0]!.path.join('.') || 'body', input.error.issues[0]!.message);
  const mesh = rt.features.mesh;
  const actions = actionsOf(mesh);
  const { actor } = caller;
  try {
    const result = await actions.apply(meshAction(mesh, target), { actor, confirmTakeover: input.data.confirmTakeover });
    log.info({ event: 'mesh-action', target, actor, audit: result.audit }, 'mesh action applied');
    return Response.json(result);
  } catch (error) {
    if (isApiError(error)) log.warn({ event: 'mesh-action', target, actor, status: error.status, ...error.details }, 'mesh action refused');
    throw error;
  }
});
