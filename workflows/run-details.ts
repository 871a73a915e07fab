// The workflow's current details (Markdown the Web UI shows above the Event History): every stream with
// its scopes, what runs now, and, once the run is over, how it ended and what to do. Pure: it only
// formats what the workflow already knows.
import { remedyFor } from '../src/remedies';
import { STREAMS, type RunStatus, type StreamName, type StreamProgress } from '../src/shared';
import type { StreamFailure } from './progress-tracker';

export interface RunDetailsInput {
  connectionId: string;
  /** `ldsync.sync_runs.id`, null before `beginRun` */
  runId: string | null;
  status: RunStatus;
  streams: Record<StreamName, StreamProgress>;
  running: Array<{ stream: StreamName; scope: string }>;
  /** the first failure of a failed run, or the cause of a partial one */
  firstFailure?: StreamFailure | undefined;
  failedScopes: number;
  /** set while a running run winds down: a cancel request, or a fatal failure */
  stoppingBecause?: string | null;
  /** `stream/scope` of passes whose deletions could not be checked */
  deletionsUnchecked?: string[];
}

const HEADLINES: Record<RunStatus, string> = {
  running: 'Syncing',
  succeeded: 'Succeeded',
  partial: 'Partial',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const STATE_WORDS: Record<StreamProgress['state'], string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  partial: 'partial',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  not_run: 'not run',
};

/** How many running scopes are named before "and N more". */
const RUNNING_SHOWN = 8;

export function renderRunDetails(d: RunDetailsInput): string {
  const run = d.runId === null ? 'not begun yet' : `\`${d.runId}\` (\`ldsync.sync_runs.id\`)`;
  const headline = d.status === 'running' && d.stoppingBecause ? 'Stopping' : HEADLINES[d.status];
  const lines = [`**${headline}** · connection \`${d.connectionId}\` · sync run ${run}`, ''];
  // A fixed-width block: the UI renders Markdown tables without padding.
  const rows = [['stream', 'state', 'scopes done', 'failed', 'rows']];
  for (const name of STREAMS) {
    const s = d.streams[name];
    const scopes = s.state === 'not_run' || s.state === 'pending' ? '-' : `${s.scopesDone}/${s.scopesTotal}`;
    rows.push([name, STATE_WORDS[s.state], scopes, String(s.scopesFailed), String(s.rows)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  lines.push(
    '```',
    ...rows.map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    ),
    '```',
  );
  lines.push('');
  if (d.status === 'running' && d.stoppingBecause) {
    lines.push(
      `Stopping after ${d.stoppingBecause}: waiting for ${d.running.length} running scope(s) to stop; ` +
        'the run is recorded once every activity and child workflow has stopped.',
    );
  } else if (d.status === 'running') {
    if (d.running.length > 0) {
      const named = d.running.slice(0, RUNNING_SHOWN).map((r) => (r.scope ? `${r.stream} ${r.scope}` : r.stream));
      const more = d.running.length > RUNNING_SHOWN ? ` and ${d.running.length - RUNNING_SHOWN} more` : '';
      lines.push(`Waiting for ${d.running.length} running scope(s): ${named.join(', ')}${more}.`);
    }
    lines.push(
      'Pages, rows and waits (LaunchDarkly rate limit until a time, or a retry after an error of a named type) ' +
        "are in each activity's heartbeat details under **Pending Activities**.",
    );
  } else if (d.firstFailure) {
    const f = d.firstFailure;
    const where = f.scope ? `${f.stream} ${f.scope}` : f.stream;
    const more = d.failedScopes > 1 ? ` (${d.failedScopes} scopes failed in all; \`ldsync status\` lists them)` : '';
    lines.push(`First failure: \`${f.type}\` in ${where}${more}: ${f.message}`, '');
    lines.push(`What to do: ${remedyFor(f.type, d.connectionId)}.`);
    lines.push('Nothing retries a finished run.');
  } else if (d.status === 'cancelled') {
    lines.push('Cancelled: every activity and child workflow it started had stopped before the run was recorded.');
  }
  if (d.deletionsUnchecked && d.deletionsUnchecked.length > 0) {
    lines.push(
      '',
      `Deletions not checked in ${d.deletionsUnchecked.join(', ')} (their seen keys were lost); the next run checks them.`,
    );
  }
  return lines.join('\n');
}
