'use client';

import { createContext, useContext, useSyncExternalStore } from 'react';

/**
 * The clock relative times ("12s ago") are computed from. Server and hydrating client must render the
 * same text, so until hydration is done both read the server's render time (the layout passes it
 * down); after that the browser's clock, ticking every second for all subscribers at once.
 */
const RenderedAt = createContext<number | undefined>(undefined);

export function ClockProvider({ renderedAt, children }: { renderedAt: number; children: React.ReactNode }) {
  return <RenderedAt.Provider value={renderedAt}>{children}</RenderedAt.Provider>;
}

const TICK_MS = 1000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function tick() {
  now = Date.now();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(tick, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** Milliseconds since the epoch: the server's render time while rendering on the server and hydrating, then the ticking browser clock. */
export function useNow(): number {
  const renderedAt = useContext(RenderedAt);
  if (renderedAt === undefined) throw new Error('useNow needs a ClockProvider above it');
  return useSyncExternalStore(subscribe, clientSnapshot, () => renderedAt);
}

/** The ticking time; with no subscriber yet, brought up to date first (it stays the same for a second, as React needs). */
function clientSnapshot(): number {
  if (!timer && Date.now() - now >= TICK_MS) now = Date.now();
  return now;
}
