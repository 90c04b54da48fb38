import { observed } from '@/lib/http/api';
import { auditAnswer } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** hubmesh's audit trail, read from the Kubernetes Events its changes recorded, and how far back they reach (the apiserver's --event-ttl). */
export const GET = observed('/api/v1/audit', getRuntime, async () => Response.json(await auditAnswer(getRuntime().features.mesh)));
