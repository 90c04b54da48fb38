import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

// a key of its own, so nothing signed with the session secret can ever be read as a sealed token or the reverse
const keyOf = (sessionSecret: string) => Buffer.from(hkdfSync('sha256', sessionSecret, '', 'hubmesh hub access token', 32));

/**
 * A hub session's OAuth access token, encrypted and authenticated (AES-256-GCM) for the session cookie: the
 * cookie is readable by whoever holds it, the token must not be. Bound to the session id, so a sealed token
 * lifted into another session does not open.
 */
export function sealHubToken(sessionSecret: string, sid: string, token: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(sessionSecret), iv);
  cipher.setAAD(Buffer.from(sid));
  const encrypted = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64url');
}

/** The token sealHubToken sealed for this session id, or undefined when it was sealed for another or altered. */
export function openHubToken(sessionSecret: string, sid: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(sessionSecret), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(sid));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
