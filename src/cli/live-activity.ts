// What the running activities of a sync say in their heartbeats (the same details the Web UI shows
// under Pending Activities): pages and rows not yet in the workflow's own counts, and what each waits for.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';

const HeartbeatSchema = z.object({
  stream: z.string(),
  scope: z.string(),
  pages: z.number(),
  rows: z.number(),
  requests: z.number(),
  waiting: z
    .object({
      kind: z.enum(['rate_limit', 'retry']),
      until: z.string(),
      reason: z.string(),
      errorType: z.string().optional(),
    })
    .nullable()
    .optional(),
});
export type LiveHeartbeat = z.infer<typeof HeartbeatSchema>;

/** The parent workflow's pending activities' latest heartbeats; children's activities are not included. */
export async function liveHeartbeats(handle: WorkflowHandle): Promise<LiveHeartbeat[]> {
  const { raw } = await handle.describe();
  const out: LiveHeartbeat[] = [];
  for (const activity of raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const parsed = HeartbeatSchema.safeParse(defaultPayloadConverter.fromPayload(payload));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** `waiting for LaunchDarkly's rate limit until …` or `retrying after upstream_unavailable until …`, or ''. */
export function describeWaits(heartbeats: LiveHeartbeat[]): string {
  const waits = heartbeats.flatMap((h) => (h.waiting ? [h.waiting] : []));
  const latest = (kind: 'rate_limit' | 'retry') =>
    waits
      .filter((w) => w.kind === kind)
      .sort((a, b) => b.until.localeCompare(a.until))
      .at(0);
  const parts: string[] = [];
  const limit = latest('rate_limit');
  if (limit) parts.push(`waiting for LaunchDarkly's rate limit until ${limit.until}`);
  const retry = latest('retry');
  if (retry) parts.push(`retrying after ${retry.errorType ?? 'an error'} until ${retry.until}`);
  return parts.join('; ');
}
