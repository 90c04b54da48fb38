import { describe, expect, it } from 'vitest';
import { readJsonBody } from './api';
import { MAX_JSON_DEPTH } from '../json';

const post = (body: string) => new Request('http://hubmesh/api/routes/user/alice', { method: 'POST', body });

describe('readJsonBody', () => {
  it('answers 400 with a JSON error for a body nested deeper than the limit, and reads one at the limit', async () => {
    const deep = await readJsonBody(post(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`), 1 << 20);
    expect(deep.ok).toBe(false);
    if (deep.ok) return;
    expect(deep.response.status).toBe(400);
    expect(await deep.response.json()).toEqual({ status: 400, error: `body nests deeper than ${MAX_JSON_DEPTH} levels` });
    const atLimit = await readJsonBody(post(`{"target":"http://a:1","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`), 1 << 20);
    expect(atLimit.ok).toBe(true);
  });

  it('keeps escaped keys as sent', async () => {
    await readJsonBody(post(String.raw`{"target":"http://a:1","\\":1}`), 1 << 20);
    const body = await readJsonBody(post(String.raw`{"target":"http://a:1","\u03a9":1}`), 1 << 20);
    expect(body.ok && Object.keys(body.value as object)).toEqual(['target', 'Ω']);
  });

  it('still tells an empty body from invalid JSON', async () => {
    const empty = await readJsonBody(post(''), 1024);
    const invalid = await readJsonBody(post('{"target":'), 1024);
    expect(!empty.ok && (await empty.response.json())).toEqual({ status: 400, error: 'body must be a JSON object' });
    expect(!invalid.ok && (await invalid.response.json())).toEqual({ status: 400, error: 'body is not valid JSON' });
  });
});
