/**
 * The resilience presets and names the console offers, in a module of their own (no imports) so that the
 * browser's bundle takes only these.
 */

/** The start-up preset: what a user meets while a new pod's sidecar or server is not ready (503 UF,URX). */
export const STARTUP_RETRY_ON = 'connect-failure,refused-stream,unavailable,reset';
export const STARTUP_RETRIES = { attempts: 3, retryOn: STARTUP_RETRY_ON } as const;

/** The header a fault is scoped by unless its author names another, as previews are by theirs. */
export const FAULT_HEADER = 'x-hubmesh-fault';
