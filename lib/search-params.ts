import type { z } from 'zod';
import { ApiError } from './api-error';

/** Parses URL search params with a schema; throws an ApiError (400) that names the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, params: URLSearchParams): z.infer<S> {
  const result = schema.safeParse(Object.fromEntries([...params.entries()].filter(([, v]) => v !== '')));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0]);
  throw new ApiError(400, 'invalid-input', `query parameter ${field}: ${issue.message}`, { fields: [{ field, message: issue.message }] });
}
