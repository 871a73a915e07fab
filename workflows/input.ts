// The input of `syncConnection`, validated at the edge (the Web UI's Start Workflow form, the CLI,
// schedules): a bad input fails the workflow with `invalid_input` and says what it takes.
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { CONNECTION_ID_PATTERN, type SyncConnectionInput } from '../src/shared';
import type { CarriedRun } from './sync-run';

const knob = z.number().int().min(1).max(100_000).optional();

const SyncOptionsSchema = z
  .object({
    /** projects synced at once (environments, then flags) */
    projectWindow: knob,
    /** `syncFlagStatuses` children running at once: well under Temporal's 2,000 pending children */
    flagStatusWindow: knob,
    /** team-maintainer scopes read at once */
    teamWindow: knob,
    /**
     * Continue-as-new once history passes this many events, before the server's own suggestion (4,096
     * events or 4 MiB) would; lets tests prove the hand-over on a small account.
     */
    historyEventLimit: knob,
    /** attempts per stream activity before its scope is recorded as failed (default 6) */
    maxAttempts: knob,
  })
  .strict();

/** Optional knobs; the UI form only needs `connectionId`. */
export type SyncOptions = z.infer<typeof SyncOptionsSchema>;

const SyncConnectionArgsSchema = z.object({
  connectionId: z.string().regex(CONNECTION_ID_PATTERN, 'a connection id: lower-case letters, digits, . _ -'),
  options: SyncOptionsSchema.optional(),
  // Written only by continue-as-new, from this code: its shape is trusted.
  carried: z.custom<CarriedRun>((v) => typeof v === 'object' && v !== null).optional(),
});

export interface SyncConnectionArgs extends SyncConnectionInput {
  options?: SyncOptions;
  /** internal: set only by continue-as-new */
  carried?: CarriedRun;
}

export function parseSyncInput(input: unknown): SyncConnectionArgs & { options: SyncOptions } {
  const parsed = SyncConnectionArgsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw ApplicationFailure.create({
      type: 'invalid_input',
      nonRetryable: true,
      message:
        `syncConnection takes one JSON object {"connectionId": "<id>", "options"?: {...}}; ${problems}; got ` +
        JSON.stringify(input ?? null).slice(0, 200),
    });
  }
  const { connectionId, options, carried } = parsed.data;
  return { connectionId, options: options ?? {}, ...(carried ? { carried } : {}) };
}
