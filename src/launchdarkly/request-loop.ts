// The one loop every request goes through: it waits for the shared rate limiter, counts the request
// (beforeRequest) before sending it, retries 429s, 5xx, timeouts, resets and malformed bodies with
// backoff, and turns everything else into a typed LaunchDarklyError whose message never carries the
// token. Knows endpoints only as an EndpointRef and a rate-limit route.
import { z } from 'zod';
import type { LaunchDarklyClientOptions, RetryInfo } from './client-options';
import {
  type EndpointRef,
  type LaunchDarklyError,
  type UpstreamErrorBody,
  errorForStatus,
  isAbortError,
  rateLimitedError,
  unavailableError,
} from './errors';
import { type HttpResponse, TransportError, httpGet } from './http';
import { type OnWait, type RateLimiter, type RequestStats, waitUntil } from './rate-limiter';
import { redactSecrets, scrubText } from './redact';

const UpstreamErrorSchema = z.looseObject({
  code: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  id: z.string().optional().catch(undefined),
});

export interface RequestLoopOptions {
  token: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRateLimitRetries: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  limiter: RateLimiter;
  onWait: OnWait | undefined;
  beforeRequest: LaunchDarklyClientOptions['beforeRequest'];
  onRetry: LaunchDarklyClientOptions['onRetry'];
}

export class RequestLoop {
  readonly counters: RequestStats = { requests: 0, rateLimited: 0, waitedMs: 0, retries: 0 };
  private readonly token: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxRateLimitRetries: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly limiter: RateLimiter;
  private readonly onWait: OnWait | undefined;
  private readonly beforeRequest: LaunchDarklyClientOptions['beforeRequest'];
  private readonly onRetry: LaunchDarklyClientOptions['onRetry'];

  constructor(o: RequestLoopOptions) {
    this.token = o.token;
    this.headers = o.headers;
    this.timeoutMs = o.timeoutMs;
    this.maxRateLimitRetries = o.maxRateLimitRetries;
    this.maxRetries = o.maxRetries;
    this.retryBaseDelayMs = o.retryBaseDelayMs;
    this.limiter = o.limiter;
    this.onWait = o.onWait;
    this.beforeRequest = o.beforeRequest;
    this.onRetry = o.onRetry;
  }

  /**
   * GET one href as JSON: waits for the rate limiter, retries 429s (up to maxRateLimitRetries) and
   * 5xx / network failures / malformed bodies (up to maxRetries, with backoff), and throws a typed
   * LaunchDarklyError for everything else. Aborts rethrow the signal's reason.
   */
  async getJson(url: URL, route: string, ref: EndpointRef, signal: AbortSignal | undefined): Promise<unknown> {
    let rateLimitedTimes = 0;
    let failures = 0;
    let resentAfterReset = false;
    for (let attempt = 1; ; attempt++) {
      const permit = await this.limiter.acquire(route, { signal, onWait: this.onWait });
      this.counters.waitedMs += permit.waitedMs;
      try {
        await this.beforeRequest?.({ endpoint: ref.path, attempt });
      } catch (err) {
        this.limiter.release(permit);
        throw err;
      }
      this.counters.requests += 1;
      let res: HttpResponse;
      try {
        res = await httpGet(url, { headers: this.headers, timeoutMs: this.timeoutMs, signal });
      } catch (err) {
        this.limiter.release(permit);
        if (isAbortError(err, signal) || !(err instanceof TransportError)) throw err;
        if (err.kind === 'reset' && !resentAfterReset) {
          // Most often a keep-alive socket the server closed as we reused it: resend at once, once.
          resentAfterReset = true;
          this.noteRetry({
            endpoint: ref.path,
            cause: 'reset',
            errorType: 'upstream_unavailable',
            attempt,
            delayMs: 0,
            message: `${ref.label}: the connection was reset (${err.message}); resent at once`,
          });
          continue;
        }
        const problem =
          err.kind === 'timeout' ? `no answer within ${this.timeoutMs} ms` : `the connection failed (${err.message})`;
        await this.backoffOrThrow(
          failures++,
          problem,
          signal,
          (n) => unavailableError(ref, `${problem} (${n} requests in this activity attempt)`, err),
          { endpoint: ref.path, cause: err.kind, errorType: 'upstream_unavailable', attempt },
        );
        continue;
      }
      if (res.status === 429) {
        this.counters.rateLimited += 1;
        const wait = this.limiter.rateLimited(permit, res.headers);
        if (rateLimitedTimes >= this.maxRateLimitRetries) {
          throw this.scrubbed(rateLimitedError(ref, Math.max(0, wait.waitMs), rateLimitedTimes + 1));
        }
        rateLimitedTimes += 1;
        this.noteRetry({
          endpoint: ref.path,
          cause: 'rate_limited',
          errorType: 'rate_limited',
          status: 429,
          attempt,
          delayMs: Math.max(0, wait.waitMs),
          message: `${ref.label}: rate limited (429); retried after ${Math.ceil(Math.max(0, wait.waitMs) / 1000)} s`,
        });
        continue; // acquire() holds this request (and every other) until the limiter's pause ends
      }
      this.limiter.observe(permit, res.headers);
      if (res.status < 200 || res.status >= 300) {
        const upstream = this.upstreamError(res.body);
        const failure = errorForStatus(ref, res.status, upstream, res.headers['x-request-id'] ?? upstream?.id);
        if (res.status < 500) throw this.scrubbed(failure);
        await this.backoffOrThrow(failures++, `LaunchDarkly answered ${res.status}`, signal, () => failure, {
          endpoint: ref.path,
          cause: 'status',
          errorType: failure.type,
          status: res.status,
          attempt,
        });
        continue;
      }
      try {
        const body: unknown = JSON.parse(res.body);
        // Defence in depth: LaunchDarkly never echoes the token, but nothing we return may carry it.
        return res.body.includes(this.token) ? redactSecrets(body, { secrets: [this.token] }) : body;
      } catch (err) {
        const problem = `the response body is not valid JSON (status ${res.status})`;
        await this.backoffOrThrow(
          failures++,
          problem,
          signal,
          (n) => unavailableError(ref, `${problem} (${n} requests in this activity attempt)`, err),
          {
            endpoint: ref.path,
            cause: 'malformed_body',
            errorType: 'upstream_unavailable',
            status: res.status,
            attempt,
          },
        );
      }
    }
  }

  /** Waits before retry number `failuresSoFar + 1`, or throws `finalError()` when retries are spent. */
  private async backoffOrThrow(
    failuresSoFar: number,
    problem: string,
    signal: AbortSignal | undefined,
    finalError: (attempts: number) => LaunchDarklyError,
    retry: Omit<RetryInfo, 'delayMs' | 'message'>,
  ): Promise<void> {
    if (failuresSoFar >= this.maxRetries) throw this.scrubbed(finalError(failuresSoFar + 1));
    const delay = this.retryBaseDelayMs * 2 ** failuresSoFar * (1 + Math.random() * 0.5);
    const reason = `${problem}; retry ${failuresSoFar + 1} of ${this.maxRetries}`;
    this.noteRetry({ ...retry, delayMs: Math.round(delay), message: scrubText(reason, [this.token]) });
    const waited = await waitUntil(Date.now() + delay, reason, {
      signal,
      onWait: this.onWait,
      kind: 'retry',
      errorType: retry.errorType,
    });
    this.counters.waitedMs += waited;
    this.limiter.recordWait(waited);
  }

  private upstreamError(body: string): UpstreamErrorBody | undefined {
    try {
      const parsed = UpstreamErrorSchema.safeParse(JSON.parse(body));
      if (!parsed.success) return undefined;
      const { code, message, id } = parsed.data;
      const out: UpstreamErrorBody = {};
      if (code !== undefined) out.code = scrubText(code, [this.token]);
      if (message !== undefined) out.message = scrubText(message, [this.token]);
      if (id !== undefined) out.id = id;
      return out;
    } catch {
      return undefined;
    }
  }

  scrubbed(err: LaunchDarklyError): LaunchDarklyError {
    err.message = scrubText(err.message, [this.token]);
    return err;
  }

  private noteRetry(info: RetryInfo): void {
    this.counters.retries += 1;
    this.limiter.recordRetry();
    try {
      this.onRetry?.(info);
    } catch {
      // A logging callback never changes what the request does.
    }
  }
}
