import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseQuery } from './search-params';

const schema = z.object({ window: z.enum(['5m', '1h']).default('5m'), page: z.coerce.number().int().min(1).default(1) });

describe('parseQuery', () => {
  it('reads the params the schema names, an empty value as absent', () => {
    expect(parseQuery(schema, new URLSearchParams('window=1h&page=3&other=x'))).toEqual({ window: '1h', page: 3 });
    expect(parseQuery(schema, new URLSearchParams('window=&page='))).toEqual({ window: '5m', page: 1 });
  });

  it('throws a 400 that names the parameter, as message and as field', () => {
    expect(() => parseQuery(schema, new URLSearchParams('page=0'))).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid-input', field: 'page', message: expect.stringMatching(/^query parameter page: /) }),
    );
  });
});
