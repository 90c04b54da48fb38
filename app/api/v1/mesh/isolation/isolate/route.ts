import type { NextRequest } from 'next/server';
import { invalidField, isApiError } from '@/lib/api-error';
import { observed, readJsonBody } from '@/lib/http/api';
import { isolateApply, isolateBody, isolatePlanAnswer } from '@/lib/mesh/isolation-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** "Isolate notebooks" planned: previews, diffs, dry runs, what would be denied that is allowed today, real sources it would block. Writes nothing. */
export const GET = observed('/api/v1/mesh/isolation/isolate', getRuntime, async (request: NextRequest) => Response.json(await isolatePlanAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)));

/** Applies the isolation policies (each dry-run, server-side applied and audited). */
export const POST = observed('/api/v1/mesh/isolation/isolate', getRuntime, async (request, { log, caller }) => {
  const rt = getRuntime();
  const input = isolateBody.safeParse((await readJsonBody(request, rt.config.proxy.maxBodyBytes)) ?? {});
  if (!input.success) throw invalidField(input.error.issues[0]!.path.join('.') || 'body', input.error.issues[0]!.message);
  try {
    const result = await isolateApply(rt.features.mesh, input.data, caller.actor);
    log.info({ event: 'isolate-notebooks', actor: caller.actor, audit: result.results.map((r) => r.audit) }, 'notebook isolation applied');
    return Response.json(result);
  } catch (error) {
    if (isApiError(error)) log.warn({ event: 'isolate-notebooks', actor: caller.actor, status: error.status, ...error.details }, 'notebook isolation refused');
    throw error;
  }
});
