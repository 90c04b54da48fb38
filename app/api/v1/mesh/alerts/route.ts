import type { NextRequest } from 'next/server';
import { ApiError } from '@/lib/api-error';
import { observed } from '@/lib/http/api';
import { alertsAnswer } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const FORMATS = ['rule-file', 'prometheus-rule'];

/** Alert rules for the hub namespace: `?format=rule-file|prometheus-rule` downloads one as YAML, else both as JSON. */
export const GET = observed('/api/v1/mesh/alerts', getRuntime, async (request: NextRequest) => {
  const params = new URLSearchParams(request.nextUrl.searchParams);
  const format = params.get('format');
  params.delete('format');
  if (format !== null && !FORMATS.includes(format)) throw new ApiError(400, 'invalid-input', 'query parameter format: must be rule-file or prometheus-rule');
  const answer = alertsAnswer(getRuntime().features.mesh, params);
  if (format === null) return Response.json(answer);
  const body = format === 'rule-file' ? answer.ruleFile : answer.prometheusRule;
  const file = format === 'rule-file' ? `hubmesh-mtls-${answer.namespace}.rules.yaml` : `hubmesh-mtls-${answer.namespace}.prometheusrule.yaml`;
  return new Response(body, { headers: { 'content-type': 'application/yaml; charset=utf-8', 'content-disposition': `attachment; filename="${file}"` } });
});
