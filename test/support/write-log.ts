// Test instruments for "nothing happens after the run is recorded": a statement-level trigger that
// logs the wall-clock time of every write to the data and bookkeeping tables, and an HTTP proxy in
// front of the simulator that logs when each LaunchDarkly request arrives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { DATA_TABLES } from '../../src/streams';

const WATCHED = [...DATA_TABLES.map((table) => `launchdarkly.${table}`), 'ldsync.sync_run_streams', 'ldsync.sync_runs'];

/** Installs the write log in this test file's own database (never the shared one's real tables). */
export async function installWriteLog(pool: Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS public.test_write_log (
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      tbl text NOT NULL,
      op text NOT NULL
    );
    CREATE OR REPLACE FUNCTION public.test_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO public.test_write_log (tbl, op) VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP);
      RETURN NULL;
    END $$;`);
  for (const table of WATCHED) {
    await pool.query(`DROP TRIGGER IF EXISTS test_write_log ON ${table};
      CREATE TRIGGER test_write_log AFTER INSERT OR UPDATE OR DELETE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION public.test_log_write()`);
  }
}

/** When the run was recorded finished, and the last write to any watched table after that, if any. */
export async function writesAfterFinish(
  pool: Pool,
  runId: string,
): Promise<{ finishedAt: Date; lastWriteAt: Date; writesAfter: number }> {
  const { rows } = await pool.query<{ finished_at: Date }>(
    `SELECT finished_at FROM ldsync.sync_runs WHERE id = $1 AND finished_at IS NOT NULL`,
    [runId],
  );
  if (!rows[0]) throw new Error(`run ${runId} has not finished`);
  // finished_at is the finishing transaction's start; the log has the real time of its UPDATE.
  const { rows: fin } = await pool.query<{ at: Date }>(
    `SELECT max(at) AS at FROM public.test_write_log WHERE tbl = 'ldsync.sync_runs'`,
  );
  const finishedAt = fin[0]?.at ?? rows[0].finished_at;
  const { rows: after } = await pool.query<{ n: number; last: Date }>(
    `SELECT count(*)::int AS n, max(at) AS last FROM public.test_write_log WHERE tbl <> 'ldsync.sync_runs' AND at > $1`,
    [finishedAt],
  );
  const { rows: last } = await pool.query<{ last: Date }>(
    `SELECT max(at) AS last FROM public.test_write_log WHERE tbl <> 'ldsync.sync_runs'`,
  );
  return { finishedAt, lastWriteAt: last[0]?.last ?? finishedAt, writesAfter: after[0]?.n ?? 0 };
}

export interface RecordingProxy {
  url: string;
  /** arrival times (epoch ms) and paths of every request so far */
  requests: Array<{ at: number; path: string }>;
  close(): Promise<void>;
}

/** Forwards every request to `target` and records when it arrived. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: RecordingProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ at: Date.now(), path: req.url ?? '' });
    const upstream = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
