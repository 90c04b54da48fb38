import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonDepthError, MAX_JSON_DEPTH, parseJson } from './json';

/** Python's json.dumps (ensure_ascii, as JupyterHub sends): every non-ASCII character as a \u escape. */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseJson', () => {
  it('keeps escaped keys exact after a key that holds a backslash (nodejs/node#63785)', () => {
    // the hub's sequence: data with the key "\", then data with "Ω" written as \u03a9
    expect(Object.keys(parseJson(String.raw`{"target":"http://10.0.0.5:8888","\\":1}`) as object)).toEqual(['target', '\\']);
    expect(Object.keys(parseJson(String.raw`{"target":"http://10.0.0.6:8888","\u03a9":2}`) as object)).toEqual(['target', 'Ω']);
    // and as stored data reads back: JSON.stringify writes a quote or a newline in a key escaped
    expect(parseJson(String.raw`{"h":[],"\\":0}`)).toEqual({ h: [], '\\': 0 });
    expect(Object.keys(parseJson(String.raw`{"h":1,"\"":2}`) as object)).toEqual(['h', '"']);
    expect(Object.keys(parseJson(String.raw`{"h":1,"\n":2}`) as object)).toEqual(['h', '\n']);
  });

  it('reads back exactly what JSON.stringify and Python-style ASCII JSON wrote, whatever was parsed before', () => {
    const key = fc.string({ unit: fc.constantFrom('a', '\\', '"', '\n', 'Ω', 'é', 'u', '0', '/', '\u2028', '😀'), maxLength: 2 });
    const value = fc.letrec<{ json: unknown }>((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(key, fc.integer(), fc.boolean(), fc.constant(null)),
        fc.array(tie('json'), { maxLength: 3 }),
        // the bug needs objects that begin alike: V8 follows the map transitions of earlier ones
        fc.tuple(tie('json'), fc.dictionary(key, tie('json'), { maxKeys: 3 })).map(([h, rest]) => ({ h, ...rest })),
      ),
    })).json;
    fc.assert(
      fc.property(fc.array(value, { minLength: 2, maxLength: 6 }), (values) => {
        for (const v of values) {
          expect(JSON.stringify(parseJson(JSON.stringify(v)))).toBe(JSON.stringify(v));
          expect(JSON.stringify(parseJson(asciiJson(v)))).toBe(JSON.stringify(v));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('uses the native parser when no key holds an escape', () => {
    const native = vi.spyOn(JSON, 'parse');
    const plain = ['{"target":"http://10.0.0.5:8888","user":"alice","server_name":""}', String.raw`{"user":"jos\u00e9"}`, String.raw`{"v":"x\":1","w":["\\"]}`, '"\\\\"'];
    for (const text of plain) parseJson(text);
    expect(native).toHaveBeenCalledTimes(plain.length);
    native.mockClear();
    for (const text of [String.raw`{"a\\" : 1}`, String.raw`[{"ok":1},{"\u0041":2}]`, String.raw`{"v":"\"","\t":3}`]) parseJson(text);
    expect(native).not.toHaveBeenCalled();
  });

  it('rejects what JSON.parse rejects, also on the strict path', () => {
    const invalid = ['{"\\n":1,}', '[1,]', '{"\\n":01}', '{"\\n":1}//', "{'\\n':1}", '{"\\n":"\t"}', '{"\\x":1}', '{"\\u12":1}', '{"\\n":1} 2', '{"\\n":NaN}', '{"\\n" 1}', '{"\\n":.5}', '{"\\n":tru}', '', ' '];
    for (const text of invalid) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseJson(text), text).toThrow(SyntaxError);
    }
  });

  it('gives JSON.parse values on the strict path: numbers, duplicate keys, __proto__, surrogates', () => {
    const texts = [
      String.raw`{"\n":1e400,"n":-0,"big":12345678901234567890,"f":1.5E-3}`,
      String.raw`{"\n":1,"a":2,"\n":3}`,
      String.raw`{"\n":1,"__proto__":{"polluted":true}}`,
      String.raw`{"\n":"\ud800","s":"\ud83d\ude00\u2028"}`,
    ];
    for (const text of texts) {
      const strict = parseJson(text) as Record<string, unknown>;
      const native = JSON.parse(text) as Record<string, unknown>;
      expect(Object.entries(strict)).toEqual(Object.entries(native));
      expect(Object.getPrototypeOf(strict)).toBe(Object.prototype);
    }
    expect(Object.is((parseJson(texts[0]!) as { n: number }).n, -0)).toBe(true);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, on both paths`, () => {
    expect(() => parseJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonDepthError);
    const escapedKeyAt = (depth: number) => `${'{"\\n":'.repeat(depth)}0${'}'.repeat(depth)}`;
    expect(() => parseJson(escapedKeyAt(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJson(escapedKeyAt(MAX_JSON_DEPTH + 1))).toThrow(JsonDepthError);
    expect(() => parseJson(nested(3), 2)).toThrow(JsonDepthError);
  });

  it('counts brackets only outside strings, and refuses deep input without overflowing the stack', () => {
    expect(parseJson(JSON.stringify({ '[[[[': '{{{{'.repeat(100), '\\[': '"[' }), 2)).toEqual({ '[[[[': '{{{{'.repeat(100), '\\[': '"[' });
    expect(() => parseJson(nested(1_000_000))).toThrow(JsonDepthError);
    expect(() => parseJson(`{"\\n":${nested(1_000_000)}}`)).toThrow(JsonDepthError);
  });
});
