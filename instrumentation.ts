/** Next.js start-up hook: validate config and open the watch caches once per Node server process. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startOrExit } = await import('./lib/startup');
    startOrExit();
  }
}
