'use client';

import { createContext, useContext, useEffect, useState } from 'react';
import useSWR, { mutate, type SWRConfiguration } from 'swr';
import type { LiveEvent } from '@/lib/dashboard/live';
import { refreshIntervalOf, staleKeys } from './live-keys';

export type LiveState = { connection: 'connecting' | 'live' | 'reconnecting'; synced: boolean; version: number | undefined };

const STALL_MS = 12_000;

const LiveContext = createContext<LiveState>({ connection: 'connecting', synced: false, version: undefined });

/**
 * Holds the Server-Sent Events stream. A change event revalidates the SWR keys that depend on the kinds it
 * names (live-keys.ts); a hello (every connect, so every reconnect) or a gap in the versions revalidates all.
 */
export function LiveProvider({ children }: { children: React.ReactNode }) {
  const [state, setState] = useState<LiveState>({ connection: 'connecting', synced: false, version: undefined });
  useEffect(() => {
    let source: EventSource;
    let lastEvent = Date.now();
    let caughtUp: number | undefined;
    const onEvent = (message: MessageEvent) => {
      lastEvent = Date.now();
      const live = { event: message.type, data: JSON.parse(message.data) } as LiveEvent;
      const stale = staleKeys(live, caughtUp);
      if (stale) {
        void mutate(stale);
        caughtUp = live.data.version;
      }
      setState({ connection: 'live', synced: live.data.synced, version: live.data.version });
    };
    const connect = () => {
      source = new EventSource('/api/v1/stream');
      for (const type of ['hello', 'change', 'status']) source.addEventListener(type, onEvent as EventListener);
      source.onerror = () => setState((previous) => ({ ...previous, connection: 'reconnecting' }));
    };
    connect();
    // the server speaks at least every 5 s; a stream silent for longer has stalled somewhere on the way
    const watchdog = setInterval(() => {
      if (Date.now() - lastEvent < STALL_MS) return;
      setState((previous) => ({ ...previous, connection: 'reconnecting' }));
      source.close();
      lastEvent = Date.now();
      connect();
    }, 1000);
    return () => {
      clearInterval(watchdog);
      source.close();
    };
  }, []);
  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

export const useLive = () => useContext(LiveContext);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (response.status === 401) {
    // a full load: the session is gone, so nothing cached in this page should survive
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, (body as { error?: string }).error ?? `HTTP ${response.status}`);
  return body as T;
}

/** A page's first answer, rendered on the server, and the API URL it answers for. */
export type Initial<T> = { key: string; data: T };

/**
 * SWR on the dashboard API; the live stream decides when to refetch, so no focus refetch storms. Only what
 * the caches cannot see (Prometheus, Events) is polled, on the interval live-keys.ts declares for its key.
 */
export function useApi<T>(url: string | null, options: SWRConfiguration = {}) {
  return useSWR<T, ApiError>(url, fetchJson, { keepPreviousData: true, revalidateOnFocus: false, refreshInterval: url ? refreshIntervalOf(url) : undefined, ...options });
}

function csrfToken(): string {
  return document.cookie.split('; ').find((c) => c.startsWith('hubmesh_csrf='))?.slice('hubmesh_csrf='.length) ?? '';
}

/** A mutating call with the session's CSRF token. */
export function mutateApi(url: string, init: RequestInit): Promise<Response> {
  return fetch(url, { ...init, credentials: 'same-origin', headers: { ...(init.headers as Record<string, string>), 'x-csrf-token': csrfToken() } });
}
