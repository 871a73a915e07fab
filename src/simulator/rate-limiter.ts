// LaunchDarkly-style fixed windows (API.md §6): one global budget for the account and one per
// route, both reset at the same instant, reported as remaining counts and a reset time in ms.

export interface RateLimitDecision {
  allowed: boolean;
  globalRemaining: number;
  routeRemaining: number;
  routeLimit: number;
  /** Epoch ms at which the current window ends. */
  resetAt: number;
}

export interface RateLimitBudget {
  globalPerWindow: number;
  routePerWindow: number;
  windowMs: number;
}

export class RateLimiter {
  private windowStart: number;
  private globalUsed = 0;
  private readonly routeUsed = new Map<string, number>();

  constructor(
    private budget: RateLimitBudget,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  /** A new budget starts a fresh window. */
  reconfigure(budget: RateLimitBudget): void {
    this.budget = budget;
    this.windowStart = this.now();
    this.globalUsed = 0;
    this.routeUsed.clear();
  }

  /** Counts one request against both budgets unless either is spent. */
  take(route: string): RateLimitDecision {
    const now = this.now();
    const { windowMs, globalPerWindow, routePerWindow } = this.budget;
    if (now >= this.windowStart + windowMs) {
      this.windowStart += Math.floor((now - this.windowStart) / windowMs) * windowMs;
      this.globalUsed = 0;
      this.routeUsed.clear();
    }
    const routeUsed = this.routeUsed.get(route) ?? 0;
    const allowed = this.globalUsed < globalPerWindow && routeUsed < routePerWindow;
    if (allowed) {
      this.globalUsed += 1;
      this.routeUsed.set(route, routeUsed + 1);
    }
    return {
      allowed,
      globalRemaining: Math.max(0, globalPerWindow - this.globalUsed),
      routeRemaining: Math.max(0, routePerWindow - (this.routeUsed.get(route) ?? 0)),
      routeLimit: routePerWindow,
      resetAt: this.windowStart + windowMs,
    };
  }
}
