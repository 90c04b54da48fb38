import type { NextRequest } from 'next/server';
import { callerOf } from '@/lib/auth/actor';
import { jsonError, observed, readJsonBody } from '@/lib/http/api';
import { isMeshActionError, type MeshActionError } from '@/lib/mesh/actions';
import { actionTarget, applyBody, meshAction } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const LOCAL_MODE = 'mesh actions need a cluster with Istio; hubmesh runs in local mode';

function targetOf(request: NextRequest) {
  return actionTarget.safeParse(decodeURIComponent(request.nextUrl.pathname.split('/').pop() ?? ''));
}

function refused(error: MeshActionError): Response {
  // hubmesh's own identity lacking a permission is not the admin's mistake: 503, with the apiserver's words
  const status = error.status === 403 ? 503 : error.status;
  return Response.json({ status, error: error.message, reason: error.reason, stage: error.stage }, { status });
}

/** The plan: YAML preview, diff, ownership, conflict and the apiserver's dry run. Writes nothing. */
export const GET = observed('/api/v1/mesh/actions/[target]', getRuntime, async (request: NextRequest) => {
  const target = targetOf(request);
  if (!target.success) return jsonError(404, `unknown action: ${target.error.issues[0]!.message}`);
  const mesh = getRuntime().features.mesh;
  if (!mesh.actions) return jsonError(409, LOCAL_MODE);
  try {
    return Response.json(await mesh.actions.plan(meshAction(mesh, target.data)));
  } catch (error) {
    if (isMeshActionError(error)) return refused(error);
    throw error;
  }
});

/** Applies the action (dry run first, then server-side apply), recorded as an Event with the signed-in admin as actor. */
export const POST = observed('/api/v1/mesh/actions/[target]', getRuntime, async (request: NextRequest, { log }) => {
  const target = targetOf(request);
  if (!target.success) return jsonError(404, `unknown action: ${target.error.issues[0]!.message}`);
  const rt = getRuntime();
  const body = await readJsonBody(request, rt.config.proxy.maxBodyBytes);
  if (!body.ok) return body.response;
  const input = applyBody.safeParse(body.value ?? {});
  if (!input.success) return jsonError(400, `${input.error.issues[0]!.path.join('.') || 'body'}: ${input.error.issues[0]!.message}`);
  const mesh = rt.features.mesh;
  if (!mesh.actions) return jsonError(409, LOCAL_MODE);
  const { actor } = callerOf(rt.dashboardAuth, rt.config.dashboard.engineerTokens, request);
  try {
    const result = await mesh.actions.apply(meshAction(mesh, target.data), { actor, confirmTakeover: input.data.confirmTakeover });
    log.info({ event: 'mesh-action', target: target.data, actor, audit: result.audit }, 'mesh action applied');
    return Response.json(result);
  } catch (error) {
    if (isMeshActionError(error)) {
      log.warn({ event: 'mesh-action', target: target.data, actor, status: error.status, reason: error.reason, stage: error.stage }, 'mesh action refused');
      return refused(error);
    }
    throw error;
  }
});
