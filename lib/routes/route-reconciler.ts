import type { Logger } from 'pino';
import { DebouncedLeaderWork } from '../kube/debounced-leader-work';
import type { RouteMigration } from './route-migration';
import type { RouteService } from './service';

const SETTLE_DELAY_MS = 200;

/**
 * Keeps every route's object equal to its rendering from the whole table, on the one replica
 * that leads: once when it starts leading (objects from an earlier rendering are rendered again, in place, after
 * routes stored as the other backend's kind were moved over),
 * then for every route change another replica makes, and whenever the notebook defaults change. A replica renders the routes above a route it writes
 * itself, from its own cache; this mends what a replica whose cache was behind, or that died between
 * two writes, left behind.
 */
export class RouteReconciler {
  private readonly work: DebouncedLeaderWork<string>;

  constructor(
    private readonly routes: Pick<RouteService, 'reconcileAll' | 'settle' | 'onRouteChange' | 'onRenderingChange' | 'waitUntilSynced'>,
    private readonly log: Logger,
    /** moves routes stored as the other backend's kind over before the first rendering (see route-migration.ts) */
    private readonly migration?: Pick<RouteMigration, 'run'>,
  ) {
    this.work = new DebouncedLeaderWork({
      delayMs: SETTLE_DELAY_MS,
      waitForSync: (timeoutMs) => routes.waitUntilSynced(timeoutMs),
      name: 'routes',
      waitingMessage: 'routes: waiting for the route cache to sync before rendering every route again',
      log,
      firstPass: async (signal) => {
        await this.migrate(signal);
        await this.renderAll(signal, 'routes: rendered every route again');
      },
      pass: (signal, paths) => this.mend(signal, paths),
      // changes from the first pass on are mended after it; the ones before it are part of it
      changesBeforeFirstPass: 'ignore',
    });
    routes.onRenderingChange(() => this.work.passNow((signal) => this.renderAll(signal, 'routes: rendered every route again with the new notebook defaults')));
    routes.onRouteChange((path, ours) => {
      // this replica settled what its own writes touch already
      if (!ours) this.work.changed(path);
    });
  }

  lead(signal: AbortSignal): void {
    this.work.lead(signal);
  }

  /** Settles once no pass is running. */
  idle(): Promise<void> {
    return this.work.idle();
  }

  private async migrate(signal: AbortSignal): Promise<void> {
    try {
      await this.migration?.run(signal);
    } catch (error) {
      // the old objects stay and keep routing; the next leader start tries again
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'routes: migration between route backends failed');
    }
  }

  private async renderAll(signal: AbortSignal, message: string): Promise<void> {
    const started = Date.now();
    const result = await this.routes.reconcileAll(signal);
    this.log.info({ ...result, ms: Date.now() - started }, message);
  }

  private async mend(signal: AbortSignal, paths: string[]): Promise<void> {
    for (const path of paths) {
      if (signal.aborted) return;
      try {
        const written = await this.routes.settle(path);
        if (written) this.log.info({ route: path, written }, 'routes: mended the routes that depend on a changed route');
      } catch (error) {
        this.log.warn({ route: path, err: error instanceof Error ? error.message : String(error) }, 'routes: cannot mend the routes that depend on a changed route');
      }
    }
  }
}
