import { observed, readJsonBody } from '@/lib/http/api';
import { changeDefaults, defaultsAnswer, parseDefaultsChange } from '@/lib/routes/notebook-defaults-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The notebook defaults, and how many notebook routes they reach. */
export const GET = observed('/api/v1/notebook-defaults', getRuntime, async () => Response.json(defaultsAnswer(getRuntime().features.notebookDefaults)));

/** Sets them: `{ defaults, dryRun }`; a dry run answers with the ConfigMap's diff and stores nothing. */
export const PUT = observed('/api/v1/notebook-defaults', getRuntime, async (request, { caller }) => {
  const rt = getRuntime();
  const change = parseDefaultsChange(await readJsonBody(request, rt.config.proxy.maxBodyBytes));
  return Response.json(await changeDefaults(rt.features.notebookDefaults, change, caller.actor));
});
