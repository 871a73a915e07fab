// LaunchDarkly's error bodies (API.md §5): `{code, message}` plus a request id to quote to support.
import { randomUUID } from 'node:crypto';

const STANDARD: Record<number, { code: string; message: string }> = {
  400: { code: 'invalid_request', message: 'Invalid request body' },
  401: { code: 'unauthorized', message: 'Invalid access token' },
  403: { code: 'forbidden', message: 'Forbidden. Access to the requested resource was denied.' },
  404: { code: 'not_found', message: 'Invalid resource identifier' },
  405: { code: 'method_not_allowed', message: 'Method not allowed' },
  429: { code: 'rate_limited', message: "You've exceeded the API rate limit. Try again later." },
  500: { code: 'internal_server_error', message: 'Internal server error' },
  503: { code: 'service_unavailable', message: 'Requested service unavailable' },
};

export interface ErrorBody {
  code: string;
  message: string;
  id: string;
}

/** An HTTP error a route handler raises; the server renders it with the standard body. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super(message ?? STANDARD[status]?.message ?? `HTTP ${status}`);
  }
}

export function errorBody(status: number, message?: string): ErrorBody {
  const standard = STANDARD[status] ?? { code: 'internal_server_error', message: 'Internal server error' };
  return { code: standard.code, message: message ?? standard.message, id: randomUUID() };
}

export function invalidRequest(message: string): ApiError {
  return new ApiError(400, message);
}

export function notFound(): ApiError {
  return new ApiError(404);
}
