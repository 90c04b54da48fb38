import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config-error';

/**
 * A random secret kept in a private file of the data dir, made on first use (local mode's stand-in for a
 * Secret). A data dir that cannot hold it is a ConfigError naming the way out, not a crash.
 */
export function persistedSecret(dataDir: string, file: string): string {
  const full = path.join(dataDir, file);
  try {
    if (existsSync(full)) return readFileSync(full, 'utf8').trim();
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    writeFileSync(full, `${secret}\n`, { mode: 0o600 });
    chmodSync(full, 0o600);
    return secret;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      `config: local mode keeps its generated ${file} in ${dataDir}, which it cannot use (${code}); ` +
        'set HUBMESH_DATA_DIR to a writable directory, or set CONFIGPROXY_AUTH_TOKEN, HUBMESH_ADMIN_TOKEN and HUBMESH_SESSION_SECRET',
    );
  }
}
