// The client's options: LaunchDarkly's instances, the User-Agent, and the knobs callers may set,
// validated once with zod so that a bad token or URL fails before any request, by option name.
import { z } from 'zod';
import packageJson from '../../package.json';
import { API_VERSIONS, DEFAULT_API_VERSION, type ApiVersion, type ErrorType } from '../shared';
import type { RateLimiter, WaitInfo } from './rate-limiter';

/** LaunchDarkly's instances (API.md §1). `baseUrl` accepts these names or any URL. */
export const BASE_URLS = {
  commercial: 'https://app.launchdarkly.com',
  federal: 'https://app.launchdarkly.us',
  eu: 'https://app.eu.launchdarkly.com',
} as const;

export const USER_AGENT = `launchdarkly-sync/${packageJson.version}`;

export interface LaunchDarklyClientOptions {
  /** A URL, or `commercial` (default), `federal`, `eu`. */
  baseUrl?: string;
  token: string;
  apiVersion?: ApiVersion;
  /** Per request, headers and body. Default 30000. */
  timeoutMs?: number;
  /** Share one per connection and process: `rateLimiterFor(key)`. Default: a limiter of this client alone. */
  limiter?: RateLimiter;
  /** 429 retries inside the client before `rate_limited` is thrown. Default 5. */
  maxRateLimitRetries?: number;
  /** Retries of 5xx, timeouts, resets and malformed bodies, with backoff. Default 2. (The first reset of a request is resent at once, uncounted: usually a stale keep-alive socket.) */
  maxRetries?: number;
  /** First backoff after a 5xx/network failure, doubled per retry, with jitter. Default 500. */
  retryBaseDelayMs?: number;
  /**
   * Called when a wait starts and every few seconds while it lasts; `kind` says whether it waits for
   * the rate limit or before retrying a failed request (then `errorType` says what failed).
   */
  onWait?: (info: WaitInfo) => void;
  /**
   * Awaited before every request is sent, retries included (after the rate limiter let it through):
   * a caller that must count every request sent records it here, before the request can be lost. A
   * rejection aborts the request with that error.
   */
  beforeRequest?: (info: RequestInfo) => Promise<void> | void;
  /** Called once for every failed response or transport failure that the client retries (never for the last one). */
  onRetry?: (info: RetryInfo) => void;
}

/** A request about to be sent. */
export interface RequestInfo {
  /** Request path without the query, e.g. `/api/v2/flags/web`. */
  endpoint: string;
  /** 1 for the first try of this page, 2 for its first retry, ... */
  attempt: number;
}

/** A response (or transport failure) the client retries: one per retry, for a log line. */
export interface RetryInfo {
  endpoint: string;
  /** what went wrong: `status` (5xx), `reset`, `timeout`, `network`, `malformed_body`, `rate_limited` (429) */
  cause: 'status' | 'reset' | 'timeout' | 'network' | 'malformed_body' | 'rate_limited';
  /** the contract type this failure would have had if it were not retried */
  errorType: ErrorType;
  /** HTTP status, for `status`, `malformed_body` and `rate_limited` */
  status?: number;
  /** the attempt that failed (1 = first try) */
  attempt: number;
  /** ms until the retry is sent (0: at once; for 429s, the limiter's pause decides) */
  delayMs: number;
  /** one line for operators, never the token */
  message: string;
}

export const ClientOptionsSchema = z.object({
  baseUrl: z.string().min(1).default('commercial'),
  token: z
    .string()
    .transform((t) => t.trim())
    .refine((t) => t.length > 0, 'the token is empty')
    .refine((t) => !/[\s\x00-\x1f\x7f]/.test(t), 'the token must be one line without spaces'),
  apiVersion: z.enum(API_VERSIONS, { error: `use one of ${API_VERSIONS.join(', ')}` }).default(DEFAULT_API_VERSION),
  timeoutMs: z.number().int().positive().default(30_000),
  maxRateLimitRetries: z.number().int().nonnegative().default(5),
  maxRetries: z.number().int().nonnegative().default(2),
  retryBaseDelayMs: z.number().nonnegative().default(500),
});
