// One summary row per stream of a run, for `ldsync sync --wait` and `ldsync status`, built from
// either ledger: the workflow's `progress` query / result, or `ldsync.sync_run_streams` (the
// durable one, and the only one left after a failed workflow). The words are the same from both:
// - `not run`: the stream never started (its parent failed, or the run ended first);
// - `nothing to read`: its parent succeeded and found nothing (an account without teams has no
//   team maintainers to read);
// - a count is `ok/total` scopes, never more done than there are.
import type { StreamRecord } from '../db';
import {
  emptyRowCounts,
  STREAMS,
  type RowCounts,
  type RunStatus,
  type StreamName,
  type StreamProgress,
} from '../shared';
import { formatTable } from './common';

export type SummaryState =
  'pending' | 'running' | 'succeeded' | 'partial' | 'failed' | 'skipped' | 'cancelled' | 'not run' | 'nothing to read';

export interface StreamSummary {
  stream: StreamName;
  state: SummaryState;
  /** scopes that succeeded (or were skipped as not in the plan) */
  scopesOk: number;
  /** scopes known to the run; 0 when the stream never ran */
  scopesTotal: number;
  scopesFailed: number;
  pages: number;
  requests: number;
  counts: RowCounts;
  errors: Array<{ scope: string; type: string; message: string }>;
}

/** The stream whose items are the scopes of another (a team's maintainers, a project's flags). */
const PARENT: Partial<Record<StreamName, StreamName>> = {
  team_maintainers: 'teams',
  environments: 'projects',
  flags: 'projects',
  flag_statuses: 'environments',
};

/** A stream row that says a stream was not run at all (scope `*`), not a scope of its own. */
const NOT_RUN_SCOPE = '*';

/** From the workflow's `progress` query or result. `finished`: the run has ended. */
export function summaryFromProgress(
  streams: Record<StreamName, StreamProgress>,
  finished: boolean,
  runStatus?: RunStatus,
): StreamSummary[] {
  // A run from before a stream was added has no entry for it: it did not sync it.
  const rows = STREAMS.filter((stream) => streams[stream] !== undefined).map((stream): StreamSummary => {
    const s = streams[stream];
    const errors = (s.errors ?? []).filter((e) => e.scope !== NOT_RUN_SCOPE);
    const notRunMarkers = (s.errors ?? []).filter((e) => e.scope === NOT_RUN_SCOPE);
    const total = Math.max(0, s.scopesTotal - notRunMarkers.length);
    const failed = Math.min(Math.max(0, s.scopesFailed - notRunMarkers.length), total);
    const ok = clamp(s.scopesDone - s.scopesFailed, 0, total - failed);
    let state: SummaryState = s.state === 'not_run' ? 'not run' : s.state;
    if (total === 0 && (notRunMarkers.length > 0 || s.state === 'pending' || s.state === 'failed')) {
      state = finished ? 'not run' : 'pending';
    }
    return {
      stream,
      state,
      scopesOk: ok,
      scopesTotal: total,
      scopesFailed: failed,
      pages: s.pages,
      requests: s.requests,
      counts: { ...s.counts },
      errors: [...errors, ...notRunMarkers.map((e) => ({ scope: '', type: e.type, message: notRunReason(e.message) }))],
    };
  });
  return finished ? withEmptyStreamsResolved(rows, runStatus) : rows;
}

/** From `ldsync.sync_run_streams` (one row per stream and scope). */
export function summaryFromStreams(
  records: StreamRecord[],
  runStatus: RunStatus,
  planned?: Partial<Record<StreamName, number>>,
): StreamSummary[] {
  const finished = runStatus !== 'running';
  const rows = STREAMS.map((stream): StreamSummary => {
    const mine = records.filter((r) => r.stream === stream);
    const isMarker = (r: StreamRecord) => r.scope === NOT_RUN_SCOPE || (r.status as string) === 'not_run';
    const scopes = mine.filter((r) => !isMarker(r));
    const markers = mine.filter(isMarker);
    const count = (...statuses: string[]) => scopes.filter((r) => statuses.includes(r.status)).length;
    const total = Math.max(scopes.length, planned?.[stream] ?? 0);
    const failed = count('failed');
    const summary: StreamSummary = {
      stream,
      state: 'pending',
      scopesOk: count('succeeded', 'skipped'),
      scopesTotal: total,
      scopesFailed: failed,
      pages: sum(scopes, (r) => r.pages),
      requests: sum(scopes, (r) => r.requests),
      counts: {
        inserted: sum(scopes, (r) => r.rowsInserted),
        updated: sum(scopes, (r) => r.rowsUpdated),
        unchanged: sum(scopes, (r) => r.rowsUnchanged),
        deleted: sum(scopes, (r) => r.rowsDeleted),
      },
      errors: [
        ...scopes
          .filter((r) => r.errorType)
          .map((r) => ({ scope: r.scope, type: r.errorType ?? '', message: r.errorMessage ?? '' })),
        ...markers.map((r) => ({ scope: '', type: r.errorType ?? '', message: notRunReason(r.errorMessage ?? '') })),
      ],
    };
    if (scopes.length === 0) summary.state = finished ? 'not run' : 'pending';
    else if (count('running') > 0) summary.state = 'running';
    else if (count('skipped') === scopes.length) summary.state = 'skipped';
    else if (failed === scopes.length) summary.state = 'failed';
    else if (failed > 0) summary.state = 'partial';
    else if (count('cancelled') > 0) summary.state = 'cancelled';
    else if (count('pending') > 0 || summary.scopesOk < total) summary.state = finished ? 'partial' : 'running';
    else summary.state = 'succeeded';
    if (!finished && summary.state === 'pending' && scopes.length === 0) summary.scopesTotal = planned?.[stream] ?? 0;
    if (summary.state === 'not run') summary.scopesTotal = 0;
    return summary;
  });
  return finished ? withEmptyStreamsResolved(rows, runStatus) : rows;
}

/**
 * In a finished run, a stream with no scopes had nothing to read when its parent succeeded and found
 * nothing (or the whole run succeeded); a parent skipped as not in the plan makes it skipped; every
 * other empty stream did not run (its parent failed, or the run ended before it started).
 */
function withEmptyStreamsResolved(rows: StreamSummary[], runStatus?: RunStatus): StreamSummary[] {
  const byName = new Map(rows.map((r) => [r.stream, r]));
  for (const row of rows) {
    if (row.scopesTotal > 0 || row.errors.length > 0) continue;
    if (row.state !== 'not run' && row.state !== 'succeeded' && row.state !== 'pending') continue;
    const parentName = PARENT[row.stream];
    const parent = parentName ? byName.get(parentName) : undefined;
    const parentDone = parent?.state === 'succeeded' || parent?.state === 'nothing to read';
    const parentFoundNothing = parent
      ? parent.counts.inserted + parent.counts.updated + parent.counts.unchanged === 0
      : false;
    if (parent?.state === 'skipped') row.state = 'skipped';
    else if (parentDone && (parentFoundNothing || runStatus === 'succeeded')) row.state = 'nothing to read';
    else row.state = 'not run';
  }
  return rows;
}

/** `not synced: projects of "" failed first` → `not run: projects failed first`. */
function notRunReason(message: string): string {
  const m = /not synced: (\S+) of "([^"]*)" failed first/.exec(message);
  if (!m) return message;
  return `not run: ${m[1]}${m[2] ? ` of "${m[2]}"` : ''} failed first`;
}

/**
 * A message as an operator should read it under a stream: without the connection (the header names
 * it), with the stream named once (`projects: projects (GET …): …` → `projects (GET …): …`), and
 * with the connection's own id in the commands it suggests.
 */
export function tidyMessage(message: string, connectionId: string, stream: string): string {
  let text = message.trim();
  const connectionPrefix = `connection "${connectionId}": `;
  if (text.startsWith(connectionPrefix)) text = text.slice(connectionPrefix.length);
  // A hint written without knowing the connection (`ldsync connections add <id> …`) names it here.
  text = nameConnectionInHints(text, connectionId);
  if (stream) while (text.startsWith(`${stream}: ${stream}`)) text = text.slice(stream.length + 2);
  // Any stream named twice in a row: `projects: projects (GET …)`.
  return text.replace(/^([a-z_]+): (?=\1[ :])/, '');
}

/** `\`ldsync connections add <id> --token-env VAR\`` → the same command with the connection's id. */
export function nameConnectionInHints(message: string, connectionId: string): string {
  return message.replace(/`ldsync [^`]*`/g, (command) => command.replaceAll('<id>', connectionId));
}

export function formatScopes(s: StreamSummary): string {
  if (s.state === 'not run') return '-';
  return `${s.scopesOk}/${s.scopesTotal}`;
}

export const SUMMARY_HEADER = [
  'stream',
  'state',
  'scopes ok',
  'pages',
  'requests',
  'inserted',
  'updated',
  'unchanged',
  'deleted',
];

/** The per-stream table, then each error once: `<stream> <scope>: <type>: <message>`. */
export function formatSummary(rows: StreamSummary[], connectionId: string): string {
  const lines = [
    formatTable([
      SUMMARY_HEADER,
      ...rows.map((s) => [
        s.stream,
        s.state,
        formatScopes(s),
        String(s.pages),
        String(s.requests),
        String(s.counts.inserted),
        String(s.counts.updated),
        String(s.counts.unchanged),
        String(s.counts.deleted),
      ]),
    ]),
  ];
  const errors = rows.flatMap((s) =>
    s.errors.map((e) => {
      const message = tidyMessage(e.message, connectionId, s.stream);
      // A message that starts with the stream names it (and its endpoint) already: `projects (GET …)`.
      const named = message.startsWith(`${s.stream} `) || message.startsWith(`${s.stream}:`);
      const label = named ? '' : `${s.stream}${e.scope ? ` ${e.scope}` : ''}`;
      return `  ${label ? `${label}: ` : ''}${e.type ? `${e.type}: ` : ''}${message}`;
    }),
  );
  if (errors.length) lines.push('errors:', ...errors);
  return lines.join('\n');
}

/** What happens next after a run that did not succeed: a finished run is never retried. */
export function nextStep(status: RunStatus, connectionId: string): string | undefined {
  switch (status) {
    case 'failed':
      return (
        `the run is over and nothing retries it; fix the cause above, then start a new sync with ` +
        `\`ldsync sync ${connectionId}\``
      );
    case 'partial':
      return (
        `the run is over and nothing retries the failed scopes; the next sync (\`ldsync sync ${connectionId}\` ` +
        'or its schedule) reads them again'
      );
    case 'cancelled':
      return `the run was cancelled; pages already written stay, and the next sync reads everything again`;
    default:
      return undefined;
  }
}

export function totalsOf(rows: StreamSummary[]): RowCounts {
  return rows.reduce(
    (t, r) => ({
      inserted: t.inserted + r.counts.inserted,
      updated: t.updated + r.counts.updated,
      unchanged: t.unchanged + r.counts.unchanged,
      deleted: t.deleted + r.counts.deleted,
    }),
    emptyRowCounts(),
  );
}

function sum<T>(items: T[], value: (item: T) => number): number {
  return items.reduce((n, item) => n + value(item), 0);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
