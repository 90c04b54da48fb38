import type { KubeEvent } from '../kube/events';
import { changePipeline, type ChangeRecord } from './pipeline';

export type RecordedChange = ChangeRecord & { actor: string };

/**
 * A change pipeline whose Events are kept in `events` (named event-1, event-2…), or that has none (local
 * mode), and whose audit log lines are kept in `lines`.
 */
export function recordingPipeline(options: { events: boolean }) {
  const events: RecordedChange[] = [];
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const changes = changePipeline({
    events: options.events
      ? async (actor, record) => {
          events.push({ actor, ...record });
          return { metadata: { name: `event-${events.length}` } } as KubeEvent;
        }
      : undefined,
    log: { info: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }) } as never,
  });
  return { changes, events, lines };
}
