// The one error type the client throws. Its `type` is a contract error type (src/shared.ts), so
// activities can turn it into an ApplicationFailure without re-classifying anything, and its
// message tells an operator what to do next. Messages never carry the token: they are built from
// endpoint paths, status codes and LaunchDarkly's own error code/message only, and the client
// scrubs the token from them once more before throwing (see client.ts).
import { type ErrorType } from '../shared';

export interface LaunchDarklyErrorDetails {
  status?: number;
  retryAfterMs?: number;
  requestId?: string;
  cause?: unknown;
}

export class LaunchDarklyError extends Error {
  override name = 'LaunchDarklyError';
  readonly type: ErrorType;
  readonly endpoint: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly requestId?: string;

  constructor(type: ErrorType, endpoint: string, message: string, details: LaunchDarklyErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.type = type;
    this.endpoint = endpoint;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }
}

/** The client cannot be built from these options (a malformed token or base URL): no retry fixes it. */
export class ClientOptionsError extends TypeError {
  override name = 'ClientOptionsError';
}

/** Where a request went, in the words an operator reads: `flags of project "web" (GET /api/v2/flags/web)`. */
export interface EndpointRef {
  /** Request path without the query, e.g. `/api/v2/flags/web`; becomes `LaunchDarklyError.endpoint`. */
  path: string;
  /** Human label, e.g. `flags of project "web"`. */
  label: string;
  /**
   * Teams endpoints: a plan without Teams answers 404/405 on them, which means "skip", not "fail". A 403
   * is a token that may not read teams: `invalid_permissions`, like on every other endpoint.
   */
  teams?: 'list' | 'maintainers';
}

/** LaunchDarkly's error body: `{"code": "...", "message": "...", "id": "..."}` (all optional here). */
export interface UpstreamErrorBody {
  code?: string;
  message?: string;
  id?: string;
}

const REISSUE_TOKEN =
  'create a Reader access token in LaunchDarkly (Account settings > Authorization) and update the connection with ' +
  '`ldsync connections add <id> --token-env VAR` (or --token-stdin)';

function where(ref: EndpointRef): string {
  return `${ref.label} (GET ${ref.path})`;
}

function upstreamSays(body: UpstreamErrorBody | undefined): string {
  if (!body?.code && !body?.message) return '';
  return ` LaunchDarkly says: ${[body.code, body.message].filter(Boolean).join(': ')}.`;
}

/** Maps a non-2xx, non-429 HTTP status to a typed error with a message that says what to do. */
export function errorForStatus(
  ref: EndpointRef,
  status: number,
  body: UpstreamErrorBody | undefined,
  requestId: string | undefined,
): LaunchDarklyError {
  const details: LaunchDarklyErrorDetails = { status };
  if (requestId !== undefined) details.requestId = requestId;
  const says = upstreamSays(body);
  const make = (type: ErrorType, text: string) => new LaunchDarklyError(type, ref.path, text + says, details);

  // Only the answers that mean "this account has no Teams": 405 (the one the spec lists on the teams
  // list besides 401/429) and 404 (the resource does not exist for this account). A 403 is about the
  // token, not the plan: reporting it as not_entitled would hide a permissions problem behind a plan
  // message and skip the stream under a green run.
  if (ref.teams && (status === 404 || status === 405)) {
    const gone = ref.teams === 'maintainers' && status === 404 ? ' (or the team was deleted while the sync ran)' : '';
    return make(
      'not_entitled',
      `${where(ref)}: Teams are not available to this account (${status})${gone}; the teams streams are ` +
        'skipped. Teams need a LaunchDarkly plan that includes them (Enterprise).',
    );
  }
  if (status === 401) {
    return make('invalid_credentials', `${where(ref)}: the token was rejected (401): ${REISSUE_TOKEN}.`);
  }
  if (status === 403) {
    return make(
      'invalid_permissions',
      `${where(ref)}: the token is valid but may not read this (403): give the token the Reader role ` +
        '(or a custom role that can view projects, flags and teams), or remove an IP allow-list that blocks this host' +
        (ref.teams ? '. (A plan without Teams answers 404 or 405 here, not 403.)' : '.'),
    );
  }
  if (status === 404) {
    return make(
      'not_found',
      `${where(ref)}: not found (404): the resource no longer exists, or the connection's base URL is wrong ` +
        '(check it with `ldsync connections list`).',
    );
  }
  if (status >= 500) {
    return make(
      'upstream_unavailable',
      `${where(ref)}: LaunchDarkly answered ${status} to this activity attempt's requests and their retries.`,
    );
  }
  return make(
    'upstream_unavailable',
    `${where(ref)}: LaunchDarkly refused the request (${status}); this client may be out of date for the ` +
      "connection's API version. Check the version with `ldsync connections list` and report this error.",
  );
}

export function rateLimitedError(ref: EndpointRef, retryAfterMs: number, attempts: number): LaunchDarklyError {
  return new LaunchDarklyError(
    'rate_limited',
    ref.path,
    `${where(ref)}: still rate limited (429) after ${attempts} requests; retry after ${Math.ceil(retryAfterMs / 1000)} s. ` +
      'Other clients of this LaunchDarkly account share its rate limit: run fewer syncs at once or lower the concurrency.',
    { status: 429, retryAfterMs },
  );
}

export function unavailableError(ref: EndpointRef, problem: string, cause?: unknown): LaunchDarklyError {
  return new LaunchDarklyError(
    'upstream_unavailable',
    ref.path,
    `${where(ref)}: ${problem}. If it persists, check that this host can reach the connection's base URL.`,
    cause === undefined ? {} : { cause },
  );
}

export function schemaMismatchError(ref: EndpointRef, detail: string): LaunchDarklyError {
  return new LaunchDarklyError(
    'schema_mismatch',
    ref.path,
    `${ref.label}: ${detail} (GET ${ref.path}). LaunchDarkly returned a shape this version of launchdarkly-sync ` +
      "does not understand: check the connection's API version, and report this message if it is 20240415.",
  );
}

/** True for the error an aborted signal produces, whatever layer raised it. */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'UND_ERR_ABORTED');
}
