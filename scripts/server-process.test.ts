import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_MB, serverProcess } from './server-process.mjs';

describe('serverProcess', () => {
  it('caps the young generation and the old space, by default and as configured', () => {
    expect(serverProcess({}).nodeArgs).toEqual(['--max-semi-space-size=2', `--max-old-space-size=${DEFAULT_HEAP_MB}`, '--heap-growing-percent=20']);
    expect(serverProcess({ HUBMESH_HEAP_MB: ' 512 ' }).nodeArgs).toEqual(['--max-semi-space-size=2', '--max-old-space-size=512', '--heap-growing-percent=20']);
  });

  it('tunes the allocator and keeps the rest of the environment', () => {
    expect(serverProcess({ PORT: '8000' }).env).toEqual({ PORT: '8000', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });
  });

  it("leaves what the operator already set alone", () => {
    expect(serverProcess({ NODE_OPTIONS: '--max-old-space-size=1024' }).nodeArgs).toEqual(['--max-semi-space-size=2', '--heap-growing-percent=20']);
    expect(serverProcess({ NODE_OPTIONS: '--max-semi-space-size=16 --max-old-space-size=1024 --heap-growing-percent=50' }).nodeArgs).toEqual([]);
    expect(serverProcess({ MALLOC_ARENA_MAX: '8' }).env).toEqual({ MALLOC_ARENA_MAX: '8' });
  });

  it('refuses a value that is not a sensible heap size, naming the variable', () => {
    for (const bad of ['lots', '64', '1.5', '-1']) expect(() => serverProcess({ HUBMESH_HEAP_MB: bad })).toThrow(/^config: HUBMESH_HEAP_MB must be/);
  });
});
