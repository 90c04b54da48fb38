import { servicesAnswer } from '@/lib/dashboard/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The hub namespace's Services with their ports, for choosing a canary, rule or preview target. */
export const GET = observed('/api/v1/services', getRuntime, async () => Response.json(servicesAnswer(getRuntime().features.dashboard)));
