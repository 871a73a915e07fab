// Renders sync progress for people: a live bar fed by the `progress` query (cli-progress: the usual
// terminal progress bar, which degrades to nothing on a non-TTY), and plain tables of runs.
import { SingleBar } from 'cli-progress';
import type { RunRecord, StreamRecord } from '../db';
import { formatTable } from './common';
import { describeWaits, type LiveHeartbeat } from './live-activity';
import { STREAMS, type RunStatus, type SyncProgress, type SyncResult } from '../shared';
import {
  formatSummary,
  nextStep,
  summaryFromProgress,
  summaryFromStreams,
  tidyMessage,
  type StreamSummary,
} from './run-summary';

export class ProgressView {
  private readonly bar: SingleBar | null;
  private started = false;
  private lastLine = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.bar = out.isTTY
      ? new SingleBar({
          stream: out,
          format: '{bar} {value}/{total} scopes | {detail}',
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  }

  update(p: SyncProgress, live: LiveHeartbeat[] = []): void {
    // Counted per stream and capped by its total, so the bar never shows more done than there is.
    const rows = summaryFromProgress(p.streams, false);
    const total = rows.reduce((n, s) => n + s.scopesTotal, 0);
    const done = rows.reduce((n, s) => n + Math.min(s.scopesOk + s.scopesFailed, s.scopesTotal), 0);
    const detail = ProgressView.detail(p, live);
    if (this.bar) {
      if (!this.started) this.bar.start(Math.max(total, 1), done, { detail });
      this.started = true;
      this.bar.setTotal(Math.max(total, 1));
      this.bar.update(done, { detail });
    } else {
      const line = `${done}/${total} scopes | ${detail}`;
      if (line !== this.lastLine) this.out.write(`${line}\n`);
      this.lastLine = line;
    }
  }

  stop(): void {
    if (this.started) this.bar?.stop();
  }

  /** Finished scopes' counts from the `progress` query, plus running activities' heartbeats. */
  static detail(p: SyncProgress, live: LiveHeartbeat[] = []): string {
    const rows = STREAMS.reduce((n, s) => n + (p.streams[s]?.rows ?? 0), 0) + live.reduce((n, h) => n + h.rows, 0);
    const requests =
      STREAMS.reduce((n, s) => n + (p.streams[s]?.requests ?? 0), 0) + live.reduce((n, h) => n + h.requests, 0);
    const waits = describeWaits(live);
    return `${p.status} | ${rows} rows | ${requests} requests${waits ? ` | ${waits}` : ''}`;
  }

  /** The summary of a finished run from its result (the `progress` ledger). */
  static summary(result: SyncResult): string {
    return ProgressView.summaryOf(
      result,
      summaryFromProgress(result.streams, result.status !== 'running', result.status),
    );
  }

  /** `run <id> of connection "<id>": <status>`, the per-stream table, the errors and what happens next. */
  static summaryOf(run: { runId: string; connectionId: string; status: RunStatus }, rows: StreamSummary[]): string {
    const lines = [`run ${run.runId} of connection "${run.connectionId}": ${run.status}`];
    lines.push(formatSummary(rows, run.connectionId));
    const next = nextStep(run.status, run.connectionId);
    if (next) lines.push(next);
    return lines.join('\n');
  }

  static runs(connectionId: string, runs: RunRecord[], latest: { streams: StreamRecord[] } | null): string {
    if (runs.length === 0)
      return `connection "${connectionId}" has no runs yet; start one with \`ldsync sync ${connectionId}\``;
    const lines = [`runs of connection "${connectionId}" (newest first):`];
    lines.push(
      formatTable([
        ['run', 'status', 'started', 'finished', 'error'],
        ...runs.map((r) => [
          r.id,
          r.status,
          r.startedAt.toISOString(),
          r.finishedAt ? r.finishedAt.toISOString() : '-',
          r.errorType ? `${r.errorType}: ${tidyMessage(r.errorMessage ?? '', connectionId, '')}` : '',
        ]),
      ]),
    );
    if (latest) {
      const status = runs[0]?.status ?? 'running';
      lines.push('', `streams of run ${runs[0]?.id ?? ''} (${status}):`);
      lines.push(formatSummary(summaryFromStreams(latest.streams, status), connectionId));
      const unchecked = runs[0]?.deletionsUnchecked ?? [];
      if (unchecked.length > 0) {
        lines.push(
          `deletions not checked in ${unchecked.join(', ')}: their seen keys were lost, so rows deleted ` +
            'upstream there keep deleted_at empty until the next run checks them',
        );
      }
      lines.push('', 'scopes:');
      lines.push(
        formatTable([
          ['stream', 'scope', 'status', 'pages', 'requests', 'inserted', 'updated', 'unchanged', 'deleted', 'error'],
          ...latest.streams
            .filter((s) => s.scope !== '*') // a stream that did not run: in the table above
            .map((s) => [
              s.stream,
              s.scope,
              s.status,
              String(s.pages),
              String(s.requests),
              String(s.rowsInserted),
              String(s.rowsUpdated),
              String(s.rowsUnchanged),
              String(s.rowsDeleted),
              s.errorType ? `${s.errorType}` : '',
            ]),
        ]),
      );
    }
    return lines.join('\n');
  }
}
