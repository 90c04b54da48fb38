import { warnIfProxyTokenShort } from './auth/proxy-token';
import { startRuntime } from './runtime';

/** Starts the runtime at server start (warning once about a short proxy token); a bad config stops the process with its one-line message. */
export function startOrExit(): void {
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  try {
    const rt = startRuntime();
    warnIfProxyTokenShort(rt.proxyToken, rt.log);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
