// Renders sync progress for people: a live bar fed by the `progress` query (cli-progress: the usual
// terminal progress bar, which degrades to nothing on a non-TTY), and plain tables of runs.
import { SingleBar } from 'cli-progress';
import type { RunRecord, StreamRecord } from '../db';
import { formatTable } from './common';
import { STREAMS, type StreamProgress, type SyncProgress, type SyncResult } from '../shared';

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

  update(p: SyncProgress): void {
    const streams = STREAMS.map((n) => p.streams[n]);
    const total = streams.reduce((n, s) => n + s.scopesTotal, 0);
    const done = streams.reduce((n, s) => n + s.scopesDone, 0);
    const detail = ProgressView.detail(p);
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

  static detail(p: SyncProgress): string {
    const rows = STREAMS.reduce((n, s) => n + p.streams[s].rows, 0);
    const requests = STREAMS.reduce((n, s) => n + p.streams[s].requests, 0);
    const waits = STREAMS.map((s) => p.streams[s].waitingUntil).filter((w): w is number => w !== null);
    const waiting = waits.length ? ` | waiting for rate limit until ${new Date(Math.max(...waits)).toISOString()}` : '';
    return `${p.status} | ${rows} rows | ${requests} requests${waiting}`;
  }

  static summary(result: SyncResult): string {
    const lines = [`run ${result.runId} of connection "${result.connectionId}": ${result.status}`];
    lines.push(formatTable([STREAM_HEADER, ...STREAMS.map((name) => streamRow(name, result.streams[name]))]));
    const errors = STREAMS.flatMap((n) =>
      result.streams[n].errors.map((e) => `  ${n}${e.scope ? ` (${e.scope})` : ''}: ${e.type}: ${e.message}`),
    );
    if (errors.length) lines.push('errors:', ...errors);
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
          r.errorType ? `${r.errorType}: ${r.errorMessage ?? ''}` : '',
        ]),
      ]),
    );
    if (latest) {
      lines.push('', `streams of run ${runs[0]?.id ?? ''}:`);
      lines.push(
        formatTable([
          ['stream', 'scope', 'status', 'pages', 'requests', 'inserted', 'updated', 'unchanged', 'deleted', 'error'],
          ...latest.streams.map((s) => [
            s.stream,
            s.scope,
            s.status,
            String(s.pages),
            String(s.requests),
            String(s.rowsInserted),
            String(s.rowsUpdated),
            String(s.rowsUnchanged),
            String(s.rowsDeleted),
            s.errorType ? `${s.errorType}: ${s.errorMessage ?? ''}` : '',
          ]),
        ]),
      );
    }
    return lines.join('\n');
  }
}

function streamRow(name: string, s: StreamProgress): string[] {
  return [
    name,
    s.state,
    `${s.scopesDone}/${s.scopesTotal}`,
    String(s.pages),
    String(s.requests),
    String(s.counts.inserted),
    String(s.counts.updated),
    String(s.counts.unchanged),
    String(s.counts.deleted),
  ];
}

const STREAM_HEADER = ['stream', 'state', 'scopes', 'pages', 'requests', 'inserted', 'updated', 'unchanged', 'deleted'];
