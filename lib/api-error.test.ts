import { describe, expect, it } from 'vitest';
import { ApiError, invalidField, isApiError, localModeError, unlessRefused } from './api-error';

describe('ApiError', () => {
  it('names the first field at fault, and none without fields', () => {
    const error = new ApiError(400, 'invalid-input', 'ttl: must be from 5m to 7d; name: required', {
      fields: [
        { field: 'ttl', message: 'must be from 5m to 7d' },
        { field: 'name', message: 'required' },
      ],
    });
    expect(error.field).toBe('ttl');
    expect(new ApiError(404, 'not-found', 'no preview named "x"').field).toBeUndefined();
  });

  it('is recognised by name, as a copy of the class from another bundle would be', () => {
    const copy = Object.assign(new Error('no route'), { name: 'ApiError', status: 404 });
    expect(isApiError(copy)).toBe(true);
    expect(isApiError(new Error('no route'))).toBe(false);
    expect(isApiError(Object.assign(new Error('x'), { name: 'ApiError' }))).toBe(false);
  });

  it('words a field error and the local-mode refusal the one way every caller does', () => {
    expect(invalidField('dryRun', 'must be true or false')).toMatchObject({ status: 400, code: 'invalid-input', message: 'dryRun: must be true or false', field: 'dryRun' });
    expect(localModeError('the audit trail lives in Kubernetes Events')).toMatchObject({
      status: 409,
      code: 'local-mode',
      message: 'the audit trail lives in Kubernetes Events; hubmesh runs in local mode',
    });
  });
});

describe('unlessRefused', () => {
  it('gives the answer, undefined for a refusal, and lets any other failure through', () => {
    expect(unlessRefused(() => 42)).toBe(42);
    expect(
      unlessRefused(() => {
        throw invalidField('pageSize', 'must be at most 500');
      }),
    ).toBeUndefined();
    expect(() =>
      unlessRefused(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
  });
});
