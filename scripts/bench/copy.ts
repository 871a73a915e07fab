// COPY ... FROM STDIN over a node-postgres client without another dependency: a minimal
// "submittable" (the interface pg-copy-streams implements) that sends the buffered rows in chunks.
import type pg from 'pg';

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyFromBuffers {
  private done!: (err: Error | null, rowCount: number) => void;
  readonly promise: Promise<number>;
  private rowCount = 0;
  private error: Error | null = null;

  constructor(
    readonly text: string,
    private readonly chunks: Buffer[],
  ) {
    this.promise = new Promise<number>((resolve, reject) => {
      this.done = (err, n) => (err ? reject(err) : resolve(n));
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/COPY (\d+)/.exec(msg.text ?? '')?.[1] ?? 0);
  }

  // node-postgres drops a query that failed (it never sees ReadyForQuery): settle here.
  handleError(err: Error): void {
    this.error = err;
    this.done(err, 0);
  }

  handleReadyForQuery(): void {
    this.done(this.error, this.rowCount);
  }

  // Not used by COPY FROM, but the client may call them.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY <table> FROM STDIN` with `chunks` (text format rows); returns the rows copied. */
export function copyFrom(client: pg.ClientBase, sql: string, chunks: Buffer[]): Promise<number> {
  const copy = new CopyFromBuffers(sql, chunks);
  void client.query(copy as unknown as pg.QueryConfig);
  return copy.promise;
}

/** One value in COPY text format. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Rows of one table, collected as COPY text chunks of about 1 MB. */
export class CopyBuffer {
  readonly chunks: Buffer[] = [];
  rows = 0;
  bytes = 0;
  private pending: string[] = [];
  private pendingLength = 0;

  add(values: unknown[]): void {
    const line = values.map(copyValue).join('\t') + '\n';
    this.pending.push(line);
    this.pendingLength += line.length;
    this.rows += 1;
    if (this.pendingLength > 1_000_000) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.pending = [];
    this.pendingLength = 0;
  }
}
