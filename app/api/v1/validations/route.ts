import { observed } from '@/lib/http/api';
import { validationsAnswer } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The validations catalogue (every code, with its count) and the findings, each linked to its object. */
export const GET = observed('/api/v1/validations', getRuntime, async () => Response.json(validationsAnswer(getRuntime().features.mesh)));
