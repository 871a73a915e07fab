// What the two fan-outs of `syncConnection` share: the catalog plan (catalog-plan.ts) and version
// 2's fixed plan (v2/fixed-plan.ts) both start a run's scopes and say whether to continue as new.

export interface FanOut {
  /** set when history grew long: continue as new with `pending` */
  continueAsNew: boolean;
  /** keys of the carried fan-out not started yet */
  pending: string[];
  /** everything, from the start */
  everything(): Promise<void>;
  /** the carried fan-out's keys left by the previous run */
  resume(keys: string[]): Promise<void>;
}

/** Waits for every branch, even after one is cancelled or fails, then rethrows the first rejection. */
export async function settleAll(branches: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(branches);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
