import { ApiError } from '@/lib/api-error';
import { errorResponse } from '@/lib/http/api';

// Any /api path no other handler claims: a JSON 404, never the HTML not-found page.
export const dynamic = 'force-dynamic';

const notFound = async (request: Request) => errorResponse(new ApiError(404, 'not-found', `no such API path: ${new URL(request.url).pathname}`));
export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
