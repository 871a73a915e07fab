// HTTP transport: one keep-alive undici Pool per origin (shared by every client of the process, so
// concurrent activities reuse sockets), a per-request timeout covering headers and body, and the
// caller's AbortSignal. It knows no LaunchDarkly semantics: statuses are returned, not judged.
import { Pool } from 'undici';

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/**
 * The request never produced a complete response. `reset`: the connection was closed under it, which
 * on a reused keep-alive socket usually means the server had just timed it out (safe to resend at
 * once); `network`: anything else, e.g. refused connections; `timeout`: no complete answer in time.
 */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly kind: 'timeout' | 'reset' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpGetOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    // 10 sockets per origin: more than a worker's concurrent LaunchDarkly calls need, far below what
    // would matter to LaunchDarkly; rate limits, not sockets, bound throughput. Idle sockets live
    // undici's default 4 s (or the server's Keep-Alive hint less 2 s): proxies in front of APIs
    // often drop idle connections sooner than a long client-side timeout would assume.
    pool = new Pool(origin, { connections: 10 });
    pools.set(origin, pool);
  }
  return pool;
}

/** Closes every pooled connection (tests, scripts, and worker shutdown call this). */
export async function closeHttpPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}

/**
 * GETs `url` and reads the whole body. Rejects with the caller's abort reason when `signal` aborts,
 * and with a TransportError for timeouts and network failures; any HTTP status resolves.
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpResponse> {
  const { signal } = options;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const forwardAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const res = await poolFor(url.origin).request({
      method: 'GET',
      path: url.pathname + url.search,
      headers: options.headers,
      signal: controller.signal,
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: flattenHeaders(res.headers), body };
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (timedOut) throw new TransportError('timeout', `no complete response within ${options.timeoutMs} ms`);
    const code = (err as { code?: unknown }).code;
    const kind = typeof code === 'string' && RESET_CODES.has(code) ? 'reset' : 'network';
    throw new TransportError(kind, describe(err), { cause: err });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forwardAbort);
  }
}
