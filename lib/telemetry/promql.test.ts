import { describe, expect, it } from 'vitest';
import { promqlString, regexQuoteMeta } from './promql';

describe('promqlString', () => {
  it('quotes string literals so that any value stays one literal', () => {
    expect(promqlString('jupyterhub')).toBe('"jupyterhub"');
    expect(promqlString('a"b')).toBe('"a\\"b"');
    expect(promqlString('a\\"} or vector(1) #')).toBe('"a\\\\\\"} or vector(1) #"');
    expect(promqlString('line\nbreak\r')).toBe('"line\\nbreak\\r"');
  });

  it("writes control characters with Go's escapes and leaves other Unicode as it is", () => {
    expect(promqlString('\x07\b\f\t\v')).toBe('"\\a\\b\\f\\t\\v"');
    expect(promqlString('nul\x00 esc\x1b del\x7f')).toBe('"nul\\x00 esc\\x1B del\\x7F"');
    expect(promqlString("秀樹 'single' `raw` 🙂 \u2028")).toBe("\"秀樹 'single' `raw` 🙂 \u2028\"");
  });

  it('escapes U+FFFD, which the lexer would take for invalid UTF-8', () => {
    expect(promqlString('a\uFFFDb')).toBe('"a\\uFFFDb"');
  });

  it('refuses a lone surrogate, which no label value can hold', () => {
    expect(() => promqlString('a\uD800b')).toThrow(/lone surrogate/);
    expect(() => promqlString('\uDC00')).toThrow(/lone surrogate/);
  });

  it('never leaves a raw newline, quote or unescaped backslash in the literal', () => {
    const hostile = 'x"}\n\\"=~".+"\r\\';
    const body = promqlString(hostile).slice(1, -1);
    expect(body).not.toMatch(/[\n\r]/);
    // every quote in the body is escaped: strip escape pairs, no backslash or quote remains
    expect(body.replace(/\\./g, '')).not.toMatch(/["\\]/);
  });
});

describe('regexQuoteMeta', () => {
  it("escapes RE2's metacharacters as Go's regexp.QuoteMeta does", () => {
    expect(regexQuoteMeta('a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o')).toBe('a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o');
    expect(regexQuoteMeta('plain-name_1/秀樹')).toBe('plain-name_1/秀樹');
  });

  it('gives a pattern that matches only the value itself', () => {
    for (const value of ['a.b', 'x|y', '(.*)', '[a-z]+', 'end$', '^start', 'back\\slash']) {
      const pattern = new RegExp(`^(?:${regexQuoteMeta(value)})$`, 'u');
      expect(pattern.test(value), value).toBe(true);
      expect(pattern.test(`${value}x`), value).toBe(false);
    }
    expect(new RegExp(`^(?:${regexQuoteMeta('a.b')})$`).test('axb')).toBe(false);
  });
});
