import { parse as parseStrictly } from 'lossless-json';

/**
 * How deep JSON that hubmesh reads may nest. JupyterHub's route data is flat and every other body or stored
 * object is a few levels deep; deeper input is refused before any recursive code (JSON.stringify,
 * structuredClone, the strict parser) sees it, since those overflow the stack a few thousand levels down.
 */
export const MAX_JSON_DEPTH = 64;

export class JsonDepthError extends SyntaxError {
  constructor(readonly maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth} levels`);
    this.name = 'JsonDepthError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * One pass over a JSON text: throws JsonDepthError when it nests deeper than maxDepth, and tells whether
 * some object key holds an escape. Exact for valid JSON; for invalid JSON the parser that follows throws.
 */
function scan(text: string, maxDepth: number): { escapedKey: boolean } {
  let depth = 0;
  let escapedKey = false;
  // strings are skipped with indexOf; the next backslash is looked up only once the scan has passed it
  let nextBackslash = text.indexOf('\\');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      if (end === -1) break;
      if (nextBackslash !== -1 && nextBackslash < end) {
        // an escape: walk this string escape by escape
        for (end = i + 1; end < text.length && text.charCodeAt(end) !== QUOTE; end++) if (text.charCodeAt(end) === BACKSLASH) end++;
        nextBackslash = text.indexOf('\\', end);
        if (!escapedKey) {
          let next = end + 1;
          while (WHITESPACE.has(text.charCodeAt(next))) next++;
          escapedKey = text.charCodeAt(next) === COLON;
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonDepthError(maxDepth);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return { escapedKey };
}

/**
 * JSON.parse, safe from two hazards: input nested deeper than maxDepth throws JsonDepthError, and keys
 * come out exactly as written. V8's JSON.parse (Node 24 at least, nodejs/node#63785, open upstream) can
 * decode an escaped object key as an earlier key that contained a backslash: after `{"h":[],"\\":0}`,
 * `{"h":1,"\u03a9":2}` yields the key "\" instead of "Ω". A text with no escape in any key cannot meet
 * the bug and takes the native parser; the others go through lossless-json, a strict (RFC 8259) parser
 * that decodes keys itself, with JSON.parse's numbers and last-duplicate-wins. Its recursion is bounded by
 * the depth checked first. Throws SyntaxError for invalid JSON.
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (!scan(text, maxDepth).escapedKey) return JSON.parse(text);
  return parseStrictly(text, undefined, { parseNumber: Number, onDuplicateKey: ({ newValue }) => newValue });
}
