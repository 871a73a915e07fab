// Client-side view of LaunchDarkly's rate limits (API.md §6). Limits are per account and per route
// in 10-second windows, and the only reliable numbers are the response headers. One RateLimiter is
// shared by every concurrent request of a connection in this process (see `rateLimiterFor`): it
// remembers the last `X-Ratelimit-*-Remaining` / `X-Ratelimit-Reset` it saw, counts the requests it
// let through since then, and holds requests back until the window resets when the budget is down to
// one; after a 429 it pauses everyone until `Retry-After` / the reset / a jittered ~10 s.
//
// Concurrency is why requests carry a Permit: a response's `Remaining` does not yet count the
// requests sent after it and still in flight, so those are subtracted from what the header says.
// Without that, the first response of a new window overstates the budget by the number of requests
// in flight, and concurrent readers overrun every window by that much.
//
// Several worker processes reading one account share its budget through the same headers: each sees
// what LaunchDarkly counted for everyone. `maxPerSecond` adds a cap of our own on top (per limiter,
// so per connection and process): requests are spaced 1/rate apart, never faster.

import type { ErrorType } from '../shared';

/** Why a request waits: LaunchDarkly's rate limit, or a backoff before retrying a failed request. */
export type WaitKind = 'rate_limit' | 'retry';

export interface WaitInfo {
  /** Epoch ms at which the wait ends. */
  until: number;
  reason: string;
  /** Set on every `onWait` call: `rate_limit` (the limiter's window or a 429 pause) or `retry` (backoff after an error). */
  kind?: WaitKind;
  /** With kind `retry`: the error type the failed attempt would have had (e.g. `upstream_unavailable`). */
  errorType?: ErrorType;
}
export type OnWait = (info: WaitInfo) => void;

export interface RequestStats {
  requests: number;
  /** 429 responses seen. */
  rateLimited: number;
  waitedMs: number;
  retries: number;
}

export interface RateLimiterOptions {
  /** Added to every wait until a reset, so the request lands in the new window. Default 100 ms. */
  marginMs?: number;
  /** Wait after a 429 that carries neither Retry-After nor X-Ratelimit-Reset: LaunchDarkly's window. Default 10 s. */
  fallbackWaitMs?: number;
  /** Random extra share of the fallback wait, so clients that were refused together do not return together. Default 0.2. */
  jitterRatio?: number;
  /** Upper bound of a wait derived from X-Ratelimit-Reset; guards against clock skew. Default 60 s. */
  maxResetWaitMs?: number;
  /** While a wait lasts, `onWait` is called again this often (heartbeating callers stay alive). Default 5 s. */
  notifyIntervalMs?: number;
  /**
   * A cap of our own: at most this many requests per second (spaced evenly) through this limiter,
   * whatever the headers allow. Unset: only LaunchDarkly's headers pace requests.
   */
  maxPerSecond?: number;
  now?: () => number;
  random?: () => number;
}

/** One request let through by `acquire`; hand it back with the response (`observe`/`rateLimited`) or `release` it. */
export interface Permit {
  readonly route: string;
  readonly seq: number;
  /** ms this request waited before it was let through. */
  readonly waitedMs: number;
}

interface Window {
  remaining: number;
  /** Epoch ms the window resets. */
  resetAt: number;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  onWait?: OnWait | undefined;
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits until `until` (epoch ms), telling `onWait` at the start and every `notifyIntervalMs`. Returns ms waited. */
export async function waitUntil(
  until: number,
  reason: string,
  options: WaitOptions & { now?: () => number; notifyIntervalMs?: number; kind?: WaitKind; errorType?: ErrorType },
): Promise<number> {
  const kind: WaitKind = options.kind ?? 'rate_limit';
  const about = options.errorType === undefined ? { kind } : { kind, errorType: options.errorType };
  const now = options.now ?? Date.now;
  const every = options.notifyIntervalMs ?? 5_000;
  const start = now();
  for (let t = start; t < until; t = now()) {
    options.onWait?.({ until, reason, ...about });
    await sleep(Math.min(until - t, every), options.signal);
  }
  return now() - start;
}

function intHeader(headers: Record<string, string>, name: string): number | undefined {
  const raw = headers[name];
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/** X-Ratelimit-Reset is epoch ms (API.md §6); a value that can only be seconds is converted. */
function resetHeader(headers: Record<string, string>): number | undefined {
  const value = intHeader(headers, 'x-ratelimit-reset');
  if (value === undefined) return undefined;
  return value < 1e12 ? value * 1000 : value;
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
function retryAfterHeader(headers: Record<string, string>, now: number): number | undefined {
  const raw = headers['retry-after'];
  if (raw === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Merges a window seen in a response into what we knew; out-of-order older responses change nothing. */
function mergeWindow(known: Window | undefined, seen: Window): Window {
  if (!known || seen.resetAt > known.resetAt) return seen;
  if (seen.resetAt < known.resetAt) return known;
  // Same window: our own count includes requests still in flight, the header's does not.
  return { remaining: Math.min(known.remaining, seen.remaining), resetAt: known.resetAt };
}

export class RateLimiter {
  private readonly marginMs: number;
  private readonly fallbackWaitMs: number;
  private readonly jitterRatio: number;
  private readonly maxResetWaitMs: number;
  private readonly notifyIntervalMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  /** ms between two requests under `maxPerSecond`; 0 without a cap. */
  private readonly spacingMs: number;
  /** Epoch ms before which the cap lets no further request through. */
  private nextSlotAt = 0;

  private global: Window | undefined;
  private readonly routes = new Map<string, Window>();
  private pause: WaitInfo = { until: 0, reason: '' };
  private nextSeq = 0;
  /** Sequence numbers of requests sent and not yet answered. */
  private readonly inFlight = new Set<number>();
  private readonly counters: RequestStats = { requests: 0, rateLimited: 0, waitedMs: 0, retries: 0 };

  constructor(options: RateLimiterOptions = {}) {
    this.marginMs = options.marginMs ?? 100;
    this.fallbackWaitMs = options.fallbackWaitMs ?? 10_000;
    this.jitterRatio = options.jitterRatio ?? 0.2;
    this.maxResetWaitMs = options.maxResetWaitMs ?? 60_000;
    this.notifyIntervalMs = options.notifyIntervalMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const perSecond = options.maxPerSecond;
    if (perSecond !== undefined && !(perSecond > 0 && Number.isFinite(perSecond))) {
      throw new RangeError(`maxPerSecond must be a positive number, got ${perSecond}`);
    }
    this.spacingMs = perSecond === undefined ? 0 : 1000 / perSecond;
  }

  /**
   * Waits while the account, this route, or a 429 pause leaves no request to spend, then counts one
   * request against the known budgets.
   */
  async acquire(route: string, options: WaitOptions = {}): Promise<Permit> {
    let waitedMs = 0;
    for (let block = this.blockFor(route); block; block = this.blockFor(route)) {
      waitedMs += await waitUntil(block.until, block.reason, {
        ...options,
        now: this.now,
        notifyIntervalMs: this.notifyIntervalMs,
      });
    }
    this.spend(route);
    this.counters.requests += 1;
    this.counters.waitedMs += waitedMs;
    const permit = { route, seq: this.nextSeq++, waitedMs };
    this.inFlight.add(permit.seq);
    return permit;
  }

  /** The request got no response (network failure, abort): it no longer counts as in flight. */
  release(permit: Permit): void {
    this.inFlight.delete(permit.seq);
  }

  /** What would hold a request on `route` back right now, if anything. */
  blockFor(route: string): WaitInfo | null {
    const now = this.now();
    if (this.pause.until > now) return this.pause;
    if (this.spacingMs > 0 && this.nextSlotAt > now) {
      return { until: this.nextSlotAt, reason: 'configured request rate cap reached; waiting for the next slot' };
    }
    const exhausted = (w: Window | undefined) => w !== undefined && w.resetAt > now && w.remaining <= 1;
    const resetWait = (w: Window) => Math.min(w.resetAt, now + this.maxResetWaitMs) + this.marginMs;
    if (this.global && exhausted(this.global)) {
      return { until: resetWait(this.global), reason: 'account rate limit budget spent; waiting for its reset' };
    }
    const routeWindow = this.routes.get(route);
    if (routeWindow && exhausted(routeWindow)) {
      return {
        until: resetWait(routeWindow),
        reason: `route rate limit budget spent for ${route}; waiting for its reset`,
      };
    }
    return null;
  }

  private spend(route: string): void {
    const now = this.now();
    if (this.spacingMs > 0) this.nextSlotAt = Math.max(now, this.nextSlotAt) + this.spacingMs;
    if (this.global && this.global.resetAt > now) this.global.remaining -= 1;
    const routeWindow = this.routes.get(route);
    if (routeWindow && routeWindow.resetAt > now) routeWindow.remaining -= 1;
  }

  /** Records the rate-limit headers of the response to `permit`'s request. */
  observe(permit: Permit, headers: Record<string, string>): void {
    this.release(permit);
    const resetAt = resetHeader(headers);
    if (resetAt === undefined) return;
    // Requests sent after this one and still unanswered are not in its header's count yet.
    let sentLater = 0;
    for (const seq of this.inFlight) if (seq > permit.seq) sentLater += 1;
    const global = intHeader(headers, 'x-ratelimit-global-remaining');
    if (global !== undefined) this.global = mergeWindow(this.global, { remaining: global - sentLater, resetAt });
    const routeRemaining = intHeader(headers, 'x-ratelimit-route-remaining');
    if (routeRemaining !== undefined) {
      const seen = { remaining: routeRemaining - sentLater, resetAt };
      this.routes.set(permit.route, mergeWindow(this.routes.get(permit.route), seen));
    }
  }

  /**
   * Records a 429 on `route` and decides how long to back off: Retry-After, else until
   * X-Ratelimit-Reset, else ~10 s with jitter. A route-only refusal pauses that route; anything else
   * pauses every request of this limiter. Returns the wait.
   */
  rateLimited(permit: Permit, headers: Record<string, string>): WaitInfo & { waitMs: number } {
    const { route } = permit;
    this.counters.rateLimited += 1;
    this.observe(permit, headers);
    const now = this.now();
    const retryAfter = retryAfterHeader(headers, now);
    const reset = resetHeader(headers);
    let until: number;
    let reason: string;
    if (retryAfter !== undefined) {
      until = now + retryAfter + Math.round(this.random() * this.marginMs);
      reason = `rate limited (429), Retry-After ${Math.ceil(retryAfter / 1000)} s`;
    } else if (reset !== undefined && reset > now) {
      until = Math.min(reset, now + this.maxResetWaitMs) + this.marginMs;
      reason = 'rate limited (429) until the window resets';
    } else {
      until = now + Math.round(this.fallbackWaitMs * (1 + this.random() * this.jitterRatio));
      reason = 'rate limited (429) without reset headers';
    }
    const routeOnly =
      intHeader(headers, 'x-ratelimit-route-remaining') === 0 &&
      (intHeader(headers, 'x-ratelimit-global-remaining') ?? 0) > 0;
    if (routeOnly) {
      this.routes.set(route, { remaining: 0, resetAt: until - this.marginMs });
    } else if (until > this.pause.until) {
      this.pause = { until, reason };
    }
    return { until, reason, waitMs: until - now };
  }

  recordRetry(): void {
    this.counters.retries += 1;
  }

  recordWait(ms: number): void {
    this.counters.waitedMs += ms;
  }

  /** Totals over every client sharing this limiter. */
  stats(): RequestStats {
    return { ...this.counters };
  }
}

const registry = new Map<string, RateLimiter>();

/**
 * The limiter shared by every client of one connection in this process. Key it by base URL and
 * connection (e.g. `${baseUrl}#${connectionId}`); the options apply when the key is first seen.
 */
export function rateLimiterFor(key: string, options?: RateLimiterOptions): RateLimiter {
  let limiter = registry.get(key);
  if (!limiter) {
    limiter = new RateLimiter(options);
    registry.set(key, limiter);
  }
  return limiter;
}
