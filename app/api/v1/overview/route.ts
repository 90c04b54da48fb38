import { overviewAnswer } from '@/lib/dashboard/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/overview', getRuntime, async () => Response.json(overviewAnswer(getRuntime().features.dashboard)));
