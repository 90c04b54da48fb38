import { observed } from '@/lib/http/api';
import { routeResilienceMetrics } from '@/lib/routes/route-metrics-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Params = { name: string };

/** What the route's resilience settings did in the last hour, from Prometheus: requests, 429s, injected faults, retries. */
export const GET = observed<Params>('/api/v1/routes/[name]/metrics', getRuntime, async (_request, { params }) => Response.json(await routeResilienceMetrics(getRuntime().features.routeMetrics, params.name)));
