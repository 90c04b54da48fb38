import { z } from 'zod';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting hubmesh reads, from the environment. scripts/start.mjs maps command-line flags onto these. */
export const configSchema = z.object({
  HUBMESH_MODE: z.enum(['auto', 'cluster', 'local'], { error: 'must be auto, cluster or local' }).default('auto'),
  HUBMESH_DATA_DIR: z.string().min(1, 'must not be empty').default('.hubmesh-data'),
  HUBMESH_NAMESPACE: z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(dns1123Label, 'must be a DNS-1123 label (lower-case letters, digits and "-")')
    .optional(),
  KUBECONFIG: z.string().min(1, 'must not be empty').optional(),
  HUBMESH_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  HUBMESH_LOG_PRETTY: booleanFlag.default(false),
});

export type Config = {
  mode: 'auto' | 'cluster' | 'local';
  dataDir: string;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  logLevel: z.infer<typeof configSchema>['HUBMESH_LOG_LEVEL'];
  logPretty: boolean;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment into a typed config, or throws a ConfigError whose message is one line naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "unset", as a shell user would expect from `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const got = present[variable];
    throw new ConfigError(`config: ${variable} ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
  }
  const c = result.data;
  return {
    mode: c.HUBMESH_MODE,
    dataDir: c.HUBMESH_DATA_DIR,
    namespace: c.HUBMESH_NAMESPACE,
    kubeconfig: c.KUBECONFIG,
    logLevel: c.HUBMESH_LOG_LEVEL,
    logPretty: c.HUBMESH_LOG_PRETTY,
  };
}
