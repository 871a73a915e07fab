// Seeded fault injection: for a seed and a request sequence, the same requests fail the same way.
// Each request draws all its dice in a fixed order, whether or not a fault applies, so changing
// one rate does not shift which requests the other faults hit.
import { Rng } from './prng';

export interface FaultSettings {
  errorRate: number;
  errorStatuses: number[];
  resetRate: number;
  slowRate: number;
  slowMs: number;
  malformedRate: number;
  wrongTypeRate: number;
  routes?: RegExp | null;
  seed: number;
}

export interface FaultPlan {
  reset: boolean;
  errorStatus?: number;
  delayMs: number;
  malformed: boolean;
  wrongType: boolean;
}

export const NO_FAULT: FaultPlan = { reset: false, delayMs: 0, malformed: false, wrongType: false };

export class FaultInjector {
  private rng: Rng;
  private seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.rng = Rng.derive(seed, 'faults');
  }

  /** A different seed restarts the stream. */
  reseed(seed: number): void {
    if (seed === this.seed) return;
    this.seed = seed;
    this.rng = Rng.derive(seed, 'faults');
  }

  plan(path: string, settings: FaultSettings): FaultPlan {
    const anyFault =
      settings.errorRate + settings.resetRate + settings.slowRate + settings.malformedRate + settings.wrongTypeRate > 0;
    if (!anyFault) return NO_FAULT;
    if (settings.routes) {
      settings.routes.lastIndex = 0;
      if (!settings.routes.test(path)) return NO_FAULT;
    }
    const dice = [this.rng.next(), this.rng.next(), this.rng.next(), this.rng.next(), this.rng.next(), this.rng.next()];
    const [reset, error, which, slow, malformed, wrongType] = dice as [number, number, number, number, number, number];
    const plan: FaultPlan = {
      reset: reset < settings.resetRate,
      delayMs: slow < settings.slowRate ? settings.slowMs : 0,
      malformed: malformed < settings.malformedRate,
      wrongType: wrongType < settings.wrongTypeRate,
    };
    if (error < settings.errorRate) {
      plan.errorStatus = settings.errorStatuses[Math.floor(which * settings.errorStatuses.length)] ?? 500;
    }
    return plan;
  }
}

/** Sets one field of the first item (or of the body) to a number where a string or array belongs. */
export function corruptFieldType(body: unknown): unknown {
  const copy: unknown = structuredClone(body);
  if (copy === null || typeof copy !== 'object') return 42;
  const record = copy as Record<string, unknown>;
  const items = record.items;
  if (Array.isArray(items)) {
    if (items.length === 0) {
      record.items = 42;
      return copy;
    }
    const first: unknown = items[0];
    if (first === null || typeof first !== 'object') {
      items[0] = 42;
      return copy;
    }
    corruptObject(first as Record<string, unknown>);
    return copy;
  }
  corruptObject(record);
  return copy;
}

function corruptObject(target: Record<string, unknown>): void {
  const field = ['kind', 'name', 'key', 'email'].find((name) => typeof target[name] === 'string') ?? 'name';
  target[field] = 42;
}

/** Cuts a JSON text short, so it no longer parses. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
