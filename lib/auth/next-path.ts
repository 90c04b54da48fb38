/** Longer values are no page of the console: refusing them keeps the OAuth state and the login URL small. */
export const MAX_NEXT_LENGTH = 2048;

const base = 'https://hubmesh.invalid';

/**
 * Where to go after sign-in: `next` as a path on this origin (with its query and fragment), as a
 * browser's URL parser reads it, or "/" for anything that could leave the origin or is no path at all:
 * absolute and scheme-relative URLs, backslashes and control characters (browsers read "\" as "/" and
 * drop tabs and newlines, so "/\evil" and "/\t/evil" are "//evil"), and paths whose dot segments
 * collapse to "//evil" ("/a/..//evil"). `next` is the decoded query parameter, as URLSearchParams gives it.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || next.length > MAX_NEXT_LENGTH || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    // "//" followed by no valid host
    return '/';
  }
  const path = url.pathname + url.search + url.hash;
  return url.origin === base && !path.startsWith('//') ? path : '/';
}
