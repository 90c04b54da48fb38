import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NEXT_LENGTH, safeNextPath } from './next-path';

const hub = 'https://hub.example';
/** What a browser makes of the answer on the hub's login page. */
const resolved = (path: string) => new URL(path, `${hub}/`);

const hostile = [
  '//evil.example/x',
  '///evil.example',
  '//',
  '//[',
  '/\\evil.example',
  '/\\/evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r/evil.example',
  '\t//evil.example',
  ' //evil.example',
  '/\\127.0.0.1:4299/x',
  '/\t/127.0.0.1:4299/x',
  '/\n/127.0.0.1:4299/x',
  '/x\r\nset-cookie: a=b',
  '/x\\y',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
  'https://evil.example/',
  'https:evil.example',
  'https:/evil.example',
  'http://hub.example@evil.example/',
  'javascript:alert(1)',
  'JavaScript:alert(document.domain)',
  'data:text/html,<script>alert(1)</script>',
  'evil.example',
  'routes',
  '?next=//evil.example',
  '#//evil.example',
  '/a/..//evil.example',
  '/.//evil.example',
  '/%2e%2e//evil.example',
  '/%2E/%2e//evil.example',
  '/a/%2e%2e//evil.example',
  '/' + 'x'.repeat(MAX_NEXT_LENGTH),
];

// what a browser decodes from the login URL's query is the input; these stay paths on the hub
const encoded = [
  '/%5C127.0.0.1:4299/x',
  '/%5c%5cevil.example',
  '/%2F/evil.example',
  '/%2f%2fevil.example',
  '/%09/evil.example',
  '/%0A/evil.example',
  '/%255C127.0.0.1:4299/x',
  '/%252F%252Fevil.example',
  '/%E2%80%AE//evil',
  '/\uff0f\uff0fevil.example',
  '/\u2215\u2215evil.example',
  '/ /evil.example',
  '/\u3000/evil.example',
  '/秀樹',
  '/x?next=//evil.example',
  '/x#//evil.example',
];

describe('safeNextPath', () => {
  it('keeps paths on this origin with their query and fragment', () => {
    expect(safeNextPath('/')).toBe('/');
    expect(safeNextPath('/routes')).toBe('/routes');
    expect(safeNextPath('/routes?q=x#y')).toBe('/routes?q=x#y');
    expect(safeNextPath('/routes/alice?tab=overlays#top')).toBe('/routes/alice?tab=overlays#top');
    expect(safeNextPath('/a/../previews')).toBe('/previews');
    expect(safeNextPath('/' + 'x'.repeat(MAX_NEXT_LENGTH - 1))).toBe('/' + 'x'.repeat(MAX_NEXT_LENGTH - 1));
  });

  it('sends what is no path, or could leave the origin, to /', () => {
    for (const next of [undefined, null, '', ...hostile]) expect(safeNextPath(next), JSON.stringify(next)).toBe('/');
  });

  it('keeps encoded and unicode look-alikes as paths on this origin, percent-encoded', () => {
    expect(safeNextPath('/%5C127.0.0.1:4299/x')).toBe('/%5C127.0.0.1:4299/x');
    expect(safeNextPath('/%2F/evil.example')).toBe('/%2F/evil.example');
    expect(safeNextPath('/秀樹')).toBe('/%E7%A7%80%E6%A8%B9');
    expect(safeNextPath('/\uff0f\uff0fevil.example')).toBe('/%EF%BC%8F%EF%BC%8Fevil.example');
  });

  it('answers, for every case, a path that a browser resolves on this origin, and that stays put when checked again', () => {
    for (const next of [...hostile, ...encoded]) {
      const path = safeNextPath(next);
      expect(path, JSON.stringify(next)).toMatch(/^\/(?![/\\])/);
      expect(resolved(path).origin, JSON.stringify(next)).toBe(hub);
      expect(`${resolved(path).pathname}${resolved(path).search}${resolved(path).hash}`).toBe(path);
      expect(safeNextPath(path)).toBe(path);
    }
  });

  it('holds for any string, and for any path of tricky segments', () => {
    const checked = (next: string) => {
      const path = safeNextPath(next);
      return resolved(path).origin === hub && !/^\/[/\\]/.test(path) && safeNextPath(path) === path;
    };
    const anyText = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
    // segments that dot-segment removal, backslashes, percent-decoding and whitespace stripping act on
    const segment = fc.oneof(
      { arbitrary: fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '.%2e', '\\', '%5c', '%2f', '\t', '\n', ' ', 'evil.example', 'https:', '@', '?', '#', '\uff0f'), weight: 8 },
      { arbitrary: anyText, weight: 1 },
    );
    const path = fc.array(segment, { maxLength: 8 }).map((segments) => `/${segments.join('/')}`);
    fc.assert(fc.property(anyText, checked), { numRuns: 2000, seed: 20261125 });
    fc.assert(fc.property(path, checked), { numRuns: 5000, seed: 20261126 });
  });
});
