import type { Logger } from 'pino';
import type { RouteService } from './service';

const SETTLE_DELAY_MS = 200;

/**
 * Keeps every route's VirtualService equal to its rendering from the whole table, on the one replica
 * that leads: once when it starts leading (objects from an earlier rendering are rendered again, in place),
 * then for every route change another replica makes, and whenever the notebook defaults change. A replica renders the routes above a route it writes
 * itself, from its own cache; this mends what a replica whose cache was behind, or that died between
 * two writes, left behind.
 */
export class RouteReconciler {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private signal: AbortSignal | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly routes: Pick<RouteService, 'reconcileAll' | 'settle' | 'onRouteChange' | 'onRenderingChange' | 'waitUntilSynced'>,
    private readonly log: Logger,
  ) {
    routes.onRenderingChange(() => {
      const signal = this.signal;
      if (!signal || signal.aborted) return;
      this.loop = this.loop.then(async () => {
        if (signal.aborted) return;
        const started = Date.now();
        const result = await this.routes.reconcileAll(signal);
        this.log.info({ ...result, ms: Date.now() - started }, 'routes: rendered every route again with the new notebook defaults');
      });
    });
    routes.onRouteChange((path, ours) => {
      // this replica settled what its own writes touch already
      if (ours || !this.signal || this.signal.aborted) return;
      this.pending.add(path);
      this.timer ??= setTimeout(() => this.flush(), SETTLE_DELAY_MS);
    });
  }

  lead(signal: AbortSignal): void {
    this.loop = this.loop.then(async () => {
      while (!signal.aborted && !(await this.routes.waitUntilSynced(5_000))) this.log.warn('routes: waiting for the route cache to sync before rendering every route again');
      if (signal.aborted) return;
      // changes from here on are mended after this pass; the ones before it are part of it
      this.signal = signal;
      const started = Date.now();
      const result = await this.routes.reconcileAll(signal);
      this.log.info({ ...result, ms: Date.now() - started }, 'routes: rendered every route again');
    });
  }

  /** Settles once no pass is running. */
  idle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    return this.loop;
  }

  private flush(): void {
    this.timer = undefined;
    const paths = [...this.pending];
    this.pending.clear();
    const signal = this.signal;
    this.loop = this.loop.then(async () => {
      for (const path of paths) {
        if (!signal || signal.aborted) return;
        try {
          const written = await this.routes.settle(path);
          if (written) this.log.info({ route: path, written }, 'routes: mended the routes that depend on a changed route');
        } catch (error) {
          this.log.warn({ route: path, err: error instanceof Error ? error.message : String(error) }, 'routes: cannot mend the routes that depend on a changed route');
        }
      }
    });
  }
}
