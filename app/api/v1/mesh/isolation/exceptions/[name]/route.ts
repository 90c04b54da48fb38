import { ApiError, invalidField } from '@/lib/api-error';
import { observed, readJsonBody } from '@/lib/http/api';
import { deleteException, exceptionBody, exceptionName, putException } from '@/lib/mesh/isolation-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { name: string };

function nameOf(params: Params) {
  const name = exceptionName.safeParse(params.name);
  if (!name.success) throw new ApiError(404, 'not-found', `no isolation exception ${JSON.stringify(params.name.slice(0, 80))}: ${name.error.issues[0]!.message}`);
  return name.data;
}

/** Plans (`dryRun`, the default) or applies a named exception: an identity let into every notebook, one user's, or the hub. */
export const PUT = observed<Params>('/api/v1/mesh/isolation/exceptions/[name]', getRuntime, async (request, { params, log, caller }) => {
  const name = nameOf(params);
  const rt = getRuntime();
  const input = exceptionBody.safeParse(await readJsonBody(request, rt.config.proxy.maxBodyBytes));
  if (!input.success) throw invalidField(input.error.issues[0]!.path.join('.') || 'body', input.error.issues[0]!.message);
  const result = await putException(rt.features.mesh, name, input.data, caller.actor);
  if (!result.dryRun) log.info({ event: 'isolation-exception', name, actor: caller.actor, audit: result.result?.audit }, 'isolation exception applied');
  return Response.json(result);
});

/** Removes a named exception (its AuthorizationPolicy), audited. */
export const DELETE = observed<Params>('/api/v1/mesh/isolation/exceptions/[name]', getRuntime, async (_request, { params, log, caller }) => {
  const name = nameOf(params);
  const result = await deleteException(getRuntime().features.mesh, name, caller.actor);
  log.info({ event: 'isolation-exception-removed', name, actor: caller.actor, audit: result.audit }, 'isolation exception removed');
  return Response.json(result);
});
