import type { ChangeType, InformerStatus } from './informer';
import type { KubeObject } from './types';

/** What the runtime needs of any cache, whatever it holds: its state, its lifecycle, its changes. */
export interface CacheView {
  readonly size: number;
  readonly isSynced: boolean;
  status(): InformerStatus;
  start(): void;
  stop(): void;
  subscribe(listener: (type: ChangeType, object: KubeObject) => void): () => void;
}
