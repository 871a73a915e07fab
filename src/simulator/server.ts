// The HTTP side: one node:http server on loopback, and the pipeline every request goes through:
// latency → token → rate limit → permission → API version → route → faults → handler → send.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { type RequestContext } from './context';
import { ApiError, errorBody } from './errors';
import { FaultInjector, type FaultPlan, NO_FAULT, corruptFieldType, truncateJson } from './faults';
import { type Account } from './model';
import { API_VERSIONS, type ApiVersion, type ResolvedOptions } from './options';
import { RateLimiter, type RateLimitDecision } from './rate-limiter';
import { canonicalPath, matchRoute } from './routes';

export interface SimulatorStats {
  requests: number;
  byRoute: Record<string, number>;
  /** By HTTP status, plus `reset` for connections dropped on purpose. */
  status: Record<string, number>;
  rateLimited: number;
  faults: { errors: number; resets: number; slow: number; malformed: number; wrongType: number };
}

export function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    byRoute: {},
    status: {},
    rateLimited: 0,
    faults: { errors: 0, resets: 0, slow: 0, malformed: 0, wrongType: 0 },
  };
}

type Role = 'reader' | 'no-permission' | 'no-teams-permission';

interface Reply {
  status: number;
  body: unknown;
  /** Raw text sent instead of JSON (a malformed body, or a proxy's HTML error page). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SimulatorServer {
  private stats: SimulatorStats = emptyStats();
  private readonly limiter: RateLimiter;
  private readonly faults: FaultInjector;
  private readonly sockets = new Set<Socket>();
  readonly http: Server;

  constructor(
    private readonly account: Account,
    private options: ResolvedOptions,
  ) {
    this.limiter = new RateLimiter(options.rateLimit);
    this.faults = new FaultInjector(options.faults.seed);
    this.http = createServer({ keepAlive: true }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => this.crash(res, err));
    });
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const address = this.http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.http.closeAllConnections();
    await closed;
  }

  setOptions(next: ResolvedOptions): void {
    const previous = this.options.rateLimit;
    this.options = next;
    const budgetChanged =
      previous.globalPerWindow !== next.rateLimit.globalPerWindow ||
      previous.routePerWindow !== next.rateLimit.routePerWindow ||
      previous.windowMs !== next.rateLimit.windowMs;
    if (budgetChanged) this.limiter.reconfigure(next.rateLimit);
    this.faults.reseed(next.faults.seed);
  }

  getStats(): SimulatorStats {
    return structuredClone(this.stats);
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  private roleOf(token: string | undefined): Role | undefined {
    if (token === undefined) return undefined;
    if (token === this.options.readerToken) return 'reader';
    if (token === this.options.noPermissionToken) return 'no-permission';
    if (token === this.options.noTeamsPermissionToken) return 'no-teams-permission';
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://simulator');
    const match = matchRoute(url.pathname);
    const routeId = match?.route.id ?? 'unmatched';
    this.stats.requests += 1;
    this.stats.byRoute[routeId] = (this.stats.byRoute[routeId] ?? 0) + 1;

    const options = this.options;
    if (options.latencyMs > 0) await sleep(options.latencyMs);

    const role = this.roleOf(req.headers.authorization);
    if (role === undefined) return this.send(res, { status: 401, body: errorBody(401) });

    const budget = this.limiter.take(routeId);
    if (!budget.allowed) {
      this.stats.rateLimited += 1;
      return this.send(res, { status: 429, body: errorBody(429), headers: this.rateLimitedHeaders(budget) });
    }
    const headers = rateLimitHeaders(budget);
    if (role === 'no-permission') return this.send(res, { status: 403, body: errorBody(403), headers });

    const versionHeader = req.headers['ld-api-version'];
    const apiVersion = parseApiVersion(Array.isArray(versionHeader) ? versionHeader[0] : versionHeader, options);
    if (apiVersion === undefined) {
      return this.send(res, { status: 400, body: errorBody(400, 'Invalid LD-API-Version header'), headers });
    }
    if (match === undefined) return this.send(res, { status: 404, body: errorBody(404), headers });
    if (req.method !== 'GET') return this.send(res, { status: 405, body: errorBody(405), headers });
    // A role without team access: LaunchDarkly checks permissions before the plan.
    if (role === 'no-teams-permission' && match.route.id.startsWith('/api/v2/teams')) {
      return this.send(res, { status: 403, body: errorBody(403), headers });
    }

    const plan = this.faults.plan(url.pathname, options.faults);
    if (plan.reset) {
      this.stats.faults.resets += 1;
      this.count('reset');
      req.socket.destroy();
      return;
    }
    if (plan.errorStatus !== undefined) {
      this.stats.faults.errors += 1;
      if (plan.delayMs > 0) await sleep(plan.delayMs);
      return this.send(res, serverError(plan.errorStatus, headers));
    }

    const context: RequestContext = {
      account: this.account,
      options,
      apiVersion,
      params: match.params,
      query: url.searchParams,
      path: canonicalPath(url.pathname),
    };
    let reply: Reply;
    try {
      reply = { status: 200, body: match.route.handler(context), headers };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      reply = { status: err.status, body: errorBody(err.status, err.message), headers };
    }
    if (plan.delayMs > 0) {
      this.stats.faults.slow += 1;
      await sleep(plan.delayMs);
    }
    this.send(res, reply.status === 200 ? this.corrupt(reply, plan) : reply);
  }

  private corrupt(reply: Reply, plan: FaultPlan): Reply {
    if (plan === NO_FAULT) return reply;
    let body = reply.body;
    if (plan.wrongType) {
      this.stats.faults.wrongType += 1;
      body = corruptFieldType(body);
    }
    if (plan.malformed) {
      this.stats.faults.malformed += 1;
      return { ...reply, body, text: truncateJson(JSON.stringify(body)) };
    }
    return { ...reply, body };
  }

  private rateLimitedHeaders(budget: RateLimitDecision): Record<string, string> {
    const mode = this.options.rateLimit.send429Headers;
    const headers: Record<string, string> = {};
    if (mode === 'reset' || mode === 'both') Object.assign(headers, rateLimitHeaders(budget));
    if (mode === 'retry-after' || mode === 'both') {
      headers['Retry-After'] = String(Math.max(1, Math.ceil((budget.resetAt - Date.now()) / 1000)));
    }
    return headers;
  }

  private count(status: string): void {
    this.stats.status[status] = (this.stats.status[status] ?? 0) + 1;
  }

  private send(res: ServerResponse, reply: Reply): void {
    this.count(String(reply.status));
    if (res.destroyed) return;
    const text = reply.text ?? JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': reply.contentType ?? 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  }

  /** A handler bug: answer 500 with its message rather than hanging the client. */
  private crash(res: ServerResponse, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, { status: 500, body: errorBody(500, `simulator error: ${message}`) });
  }
}

function rateLimitHeaders(budget: RateLimitDecision): Record<string, string> {
  return {
    'X-Ratelimit-Global-Remaining': String(budget.globalRemaining),
    'X-Ratelimit-Route-Remaining': String(budget.routeRemaining),
    'X-Ratelimit-Route-Limit': String(budget.routeLimit),
    'X-Ratelimit-Reset': String(budget.resetAt),
  };
}

/** A 5xx; 502 and 504 come from a proxy in front of the API, so their body is HTML, not JSON. */
function serverError(status: number, headers: Record<string, string>): Reply {
  if (status === 502 || status === 504) {
    const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
    return {
      status,
      body: null,
      text: `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`,
      contentType: 'text/html',
    };
  }
  return { status, body: errorBody(status), headers };
}

/** No header means the token's own version; `beta` is only needed by beta endpoints, none of these. */
function parseApiVersion(header: string | undefined, options: ResolvedOptions): ApiVersion | undefined {
  if (header === undefined || header === '' || header === 'beta') return options.defaultApiVersion;
  return API_VERSIONS.find((v) => v === header);
}
