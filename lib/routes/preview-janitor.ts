import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { referenceTo, type ChangePipeline, type ChangeRecord } from '../changes/pipeline';
import { virtualServiceKind } from '../kube/virtualservices';
import type { PreviewService, PreviewView } from './previews';

export const JANITOR_ACTOR = 'hubmesh-janitor';
export const DEFAULT_JANITOR_INTERVAL_MS = 30_000;

export type PreviewJanitorOptions = {
  previews: Pick<PreviewService, 'removeExpired'>;
  /** Records that the janitor removed an expired preview (an Event on the route's VirtualService). */
  recordRemoval: (preview: PreviewView) => Promise<unknown>;
  intervalMs?: number;
  log: Logger;
};

/**
 * Removes expired previews, on the one replica that leads (LeaderWork: the runtime wires lead() and idle()
 * to the leadership). A pass runs at once and then every interval; it checks the leadership signal before
 * every removal, and the loop ends as soon as it aborts.
 */
export class PreviewJanitor {
  private readonly intervalMs: number;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: PreviewJanitorOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_JANITOR_INTERVAL_MS;
  }

  /** Passes now and every interval until the signal aborts. A previous leadership's loop finishes first. */
  lead(signal: AbortSignal): void {
    this.loop = this.loop.then(async () => {
      while (!signal.aborted) {
        await this.pass(signal);
        // an abort ends the wait at once (and rejects it)
        await delay(this.intervalMs, undefined, { signal }).catch(() => undefined);
      }
    });
  }

  /** Settles once no pass is running. */
  idle(): Promise<void> {
    return this.loop;
  }

  /** One pass: removes what has expired and records each removal. Never throws. */
  async pass(signal: AbortSignal): Promise<PreviewView[]> {
    const { previews, recordRemoval, log } = this.options;
    let removed: PreviewView[];
    try {
      removed = await previews.removeExpired(signal);
    } catch (error) {
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'preview janitor: pass failed');
      return [];
    }
    for (const preview of removed) {
      log.info({ preview: preview.name, route: preview.route, expiresAt: preview.expiresAt }, 'preview janitor: removed an expired preview');
      await recordRemoval(preview).catch((error: unknown) => {
        log.warn({ preview: preview.name, err: error instanceof Error ? error.message : String(error) }, 'preview janitor: cannot record the removal');
      });
    }
    return removed;
  }
}

/** The audit of a removal by the janitor: an Event on the route's VirtualService and the log line, actor hubmesh-janitor. */
export function expiryRecord(preview: PreviewView, namespace: string): ChangeRecord {
  return {
    regarding: referenceTo(virtualServiceKind, { namespace, name: preview.virtualService }),
    action: 'ExpirePreview',
    reason: 'PreviewExpired',
    type: 'Normal',
    note: `preview ${preview.name} on route ${preview.route} (owner ${preview.owner}) expired at ${preview.expiresAt} and was removed`,
  };
}

/** The janitor's recordRemoval: each removal audited through the change pipeline; an Event it cannot record is an error. */
export function recordExpiry(changes: Pick<ChangePipeline, 'record'>, namespace: string) {
  return async (preview: PreviewView) => {
    const audit = await changes.record(JANITOR_ACTOR, expiryRecord(preview, namespace));
    if (audit && !audit.recorded) throw new Error(audit.error);
  };
}
