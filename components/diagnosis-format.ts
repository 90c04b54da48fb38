import type { DiagnoseAnswer } from '@/lib/diagnose/api';
import type { ProbeResult } from '@/lib/diagnose/probe';

type Status = DiagnoseAnswer['hops'][number]['status'];
type Ref = NonNullable<DiagnoseAnswer['hops'][number]['evidence'][number]['ref']>;

/** A hop's status as the page shows it: an icon and a word (never the colour alone), and the colours. */
export const STATUS_LOOK: Record<Status, { icon: string; word: string; tone: 'ok' | 'bad' | 'warn' | 'muted' }> = {
  pass: { icon: '✓', word: 'Pass', tone: 'ok' },
  fail: { icon: '✗', word: 'Fail', tone: 'bad' },
  warn: { icon: '!', word: 'Warning', tone: 'warn' },
  unknown: { icon: '?', word: 'Unknown', tone: 'muted' },
};

export const VERDICT_LOOK: Record<DiagnoseAnswer['verdict'], { word: string; text: string; tone: 'ok' | 'bad' | 'warn' }> = {
  ok: { word: '✓ OK', text: 'Every hop hubmesh can check passes', tone: 'ok' },
  warning: { word: '! Warning', text: 'Requests may fail: see the hops marked Warning', tone: 'warn' },
  failing: { word: '✗ Failing', text: 'Requests fail: see the hops marked Fail', tone: 'bad' },
};

/** The diagnose and probe URLs of a user's server. */
export const diagnoseUrl = (user: string, server: string) => `/api/v1/users/${encodeURIComponent(user)}/diagnose?server=${encodeURIComponent(server)}`;
export const probeUrl = (user: string, server: string) => `/api/v1/users/${encodeURIComponent(user)}/probe?server=${encodeURIComponent(server)}`;
/** The page of another of the user's servers. */
export const serverPageUrl = (user: string, server: string) => `/users/${encodeURIComponent(user)}${server ? `?server=${encodeURIComponent(server)}` : ''}`;

export const serverLabel = (server: string) => (server === '' ? 'default' : server);

/** Where the console shows an object of the evidence: routes and Services on the routes page, pods on the pods page, policies on their pages. */
export function objectHref(ref: Ref): string | undefined {
  switch (ref.kind) {
    case 'VirtualService':
    case 'HTTPRoute':
    case 'Service':
      return `/routes?q=${encodeURIComponent(ref.name)}`;
    case 'Pod':
      return `/pods?q=${encodeURIComponent(ref.name)}`;
    case 'PeerAuthentication':
    case 'DestinationRule':
      return '/mesh';
    case 'AuthorizationPolicy':
      return '/isolation';
    case 'NetworkPolicy':
      return '/doctor';
    default:
      return undefined;
  }
}

/** A probe's result in one sentence. */
export function probeSentence(result: ProbeResult): string {
  if (result.status === null) return `No answer: ${result.error ?? 'the gateway could not be reached'}.`;
  const served = result.routeHeader
    ? result.matches
      ? `served by ${result.routeHeader}, the server's route`
      : `served by ${result.routeHeader}, not by the server's route ${result.expectedRoute}`
    : `without an x-hubmesh-route header: no hub route served it (expected ${result.expectedRoute})`;
  return `HTTP ${result.status} in ${result.timeMs} ms, ${served}.`;
}
