/**
 * PromQL string and regex literals, written so that Prometheus' lexer (promql/parser/lex.go, Go's escapes) reads
 * back exactly the value given. A leaf module: every query builder quotes label values here.
 */

const NAMED_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

// in u mode a surrogate pair is one code point, so this matches only a surrogate that has no partner
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const hex = (char: string, digits: number) => char.codePointAt(0)!.toString(16).toUpperCase().padStart(digits, '0');

// C0 controls and DEL are escaped so a query stays one printable line; U+FFFD must be, as the lexer reads a
// literal U+FFFD as its invalid-UTF-8 marker and rejects the string.
const NEEDS_ESCAPE = /[\\"\x00-\x1f\x7f\uFFFD]/g;

/** A double-quoted PromQL string literal holding exactly `value`. Throws on a lone UTF-16 surrogate, which no UTF-8 label value can hold. */
export function promqlString(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new Error(`not a Unicode string (lone surrogate): ${JSON.stringify(value)}`);
  const body = value.replace(NEEDS_ESCAPE, (char) => NAMED_ESCAPES[char] ?? (char === '\uFFFD' ? '\\uFFFD' : `\\x${hex(char, 2)}`));
  return `"${body}"`;
}

/**
 * `value` as an RE2 pattern matching only itself, as Go's regexp.QuoteMeta writes it. Prometheus anchors a regex
 * matcher at both ends, so `a|b` of quoted values matches exactly a or b. Quote the result with promqlString.
 */
export const regexQuoteMeta = (value: string) => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
