// What an operator types for a schedule (`--every 1h`, `--cron "0 6 * * *"`, `--jitter 30s`), validated
// with zod into what Temporal's ScheduleSpec takes, and the reverse: a spec described in the same words.
import type { ScheduleSpecDescription } from '@temporalio/client';
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;
const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;

/** `90s`, `5m`, `1h30m`, `2d`: whole numbers with units ms, s, m, h, d. */
export const DurationSchema = z
  .string()
  .trim()
  .regex(DURATION_PATTERN, 'use a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h, d)')
  .transform((text) => {
    let ms = 0;
    for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit as Unit];
    return ms;
  });

const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 366 * UNIT_MS.d;

/** Temporal accepts intervals in whole seconds from 1 s. */
export const IntervalSchema = DurationSchema.refine((ms) => ms >= MIN_INTERVAL_MS, 'must be at least 1s')
  .refine((ms) => ms <= MAX_INTERVAL_MS, 'must be at most 366d')
  .refine((ms) => ms % 1_000 === 0, 'must be whole seconds (Temporal rounds intervals to seconds)');

const CRON_SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'];
const CRON_FIELD = /^[0-9A-Za-z*?,/-]+$/;

/**
 * Five to seven cron fields (minute hour day-of-month month day-of-week [year], or with seconds first)
 * or a shorthand like `@daily`, optionally after `TZ=<zone>` / `CRON_TZ=<zone>`. Temporal checks the
 * ranges; this catches what is not a cron expression at all with a clearer message.
 */
export const CronSchema = z
  .string()
  .trim()
  .refine((text) => !text.includes('#'), 'comments (#) are not supported in --cron')
  .refine((text) => {
    const fields = text.split(/\s+/).filter(Boolean);
    if (fields[0] && /^(CRON_)?TZ=\S+$/.test(fields[0])) fields.shift();
    if (fields.length === 1) return CRON_SHORTHANDS.includes(fields[0]?.toLowerCase() ?? '');
    return fields.length >= 5 && fields.length <= 7 && fields.every((f) => CRON_FIELD.test(f));
  }, 'use a cron expression of 5-7 fields such as "0 6 * * *" (06:00 UTC daily), or @hourly, @daily, @weekly');

/** How often a schedule runs: a fixed interval or a cron expression. */
export type ScheduleTiming = { kind: 'every'; everyMs: number } | { kind: 'cron'; expression: string };

export interface ScheduleRequest {
  timing: ScheduleTiming;
  jitterMs: number;
  paused: boolean;
}

/**
 * A little randomness spreads many connections' syncs over time instead of starting them all on the
 * same second: a tenth of the interval, at most a minute; 30 s for cron schedules.
 */
export function defaultJitterMs(timing: ScheduleTiming): number {
  if (timing.kind === 'cron') return 30_000;
  return Math.min(60_000, Math.floor(timing.everyMs / 10));
}

const SetOptionsSchema = z
  .object({
    every: IntervalSchema.optional(),
    cron: CronSchema.optional(),
    jitter: DurationSchema.optional(),
    paused: z.boolean().optional(),
  })
  .refine((o) => (o.every === undefined) !== (o.cron === undefined), {
    message: 'give exactly one of --every DURATION or --cron EXPR',
  })
  .refine((o) => o.every === undefined || o.jitter === undefined || o.jitter < o.every, {
    message: 'must be shorter than --every (or a run could start after the next one is due)',
    path: ['jitter'],
  });

/** Parses `schedule set` options; the error names each bad option. */
export function parseScheduleRequest(
  raw: unknown,
): { ok: true; request: ScheduleRequest } | { ok: false; problem: string } {
  const parsed = SetOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const problem = parsed.error.issues
      .map((issue) => {
        const field = issue.path[0];
        return typeof field === 'string' ? `--${field}: ${issue.message}` : issue.message;
      })
      .join('; ');
    return { ok: false, problem };
  }
  const o = parsed.data;
  const timing: ScheduleTiming =
    o.every !== undefined ? { kind: 'every', everyMs: o.every } : { kind: 'cron', expression: o.cron ?? '' };
  return { ok: true, request: { timing, jitterMs: o.jitter ?? defaultJitterMs(timing), paused: o.paused === true } };
}

/** Marks a compiled cron spec with the expression the operator typed, so listings can show it again. */
export const CRON_COMMENT_PREFIX = 'ldsync cron: ';

/** `5s`, `1h30m`, `1d2h`, `1500ms`: the inverse of DurationSchema. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const amount = Math.floor(rest / size);
    if (amount > 0) out += `${amount}${unit}`;
    rest -= amount * size;
  }
  return out;
}

/** `every 5s`, `cron "0 6 * * *"`, or `calendar` for specs made outside ldsync. */
export function describeTiming(spec: ScheduleSpecDescription): string {
  const parts = [
    ...(spec.intervals ?? []).map(
      (i) => `every ${formatDuration(i.every)}${i.offset ? ` (offset ${formatDuration(i.offset)})` : ''}`,
    ),
    ...(spec.calendars ?? []).map((c) =>
      c.comment?.startsWith(CRON_COMMENT_PREFIX)
        ? `cron "${c.comment.slice(CRON_COMMENT_PREFIX.length)}"`
        : `calendar${c.comment ? ` (${c.comment})` : ''}`,
    ),
  ];
  return parts.join(', ') || 'no times';
}
