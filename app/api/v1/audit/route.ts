import { observed } from '@/lib/http/api';
import { auditTrail } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** hubmesh's audit trail, read from the Kubernetes Events its actions recorded (kept as long as the apiserver's --event-ttl). */
export const GET = observed('/api/v1/audit', getRuntime, async () => Response.json({ items: await auditTrail(getRuntime()) }));
