/** The headers every hubmesh answer carries, whoever serves it: proxy.ts for Next's, lib/http/proxy-api.ts for the hub's. */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
} as const;

/** Sent when the request came over TLS (at the gateway: X-Forwarded-Proto). */
export const HSTS_HEADER = { 'strict-transport-security': 'max-age=31536000' } as const;

/** A JSON answer loads nothing and is framed by nobody (pages get proxy.ts's policy, with a nonce). */
export const JSON_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
