// A sync survives its worker being killed, hands over through continue-as-new, and never lets a
// secret into Temporal or Postgres.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../src/config';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../src/shared';
import { waitFor } from './support/wait';
import { expectedCounts, startSyncHarness, TABLES, type SyncHarness } from './support/sync-harness';

describe('a sync whose worker is killed mid-sync', () => {
  let h: SyncHarness;
  const workers: ChildProcess[] = [];

  before(async () => {
    // Slow pages make the kill land mid-stream.
    h = await startSyncHarness(
      'kill',
      { seed: 5, projects: 4, environments: 3, flags: 250, latencyMs: 250 },
      { worker: false },
    );
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await h?.close();
  });

  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'ldsync.js'), 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.stack.temporalAddress,
        TEMPORAL_NAMESPACE: h.stack.namespace,
        LDSYNC_TASK_QUEUE: h.stack.taskQueue,
        DATABASE_URL: h.stack.databaseUrl,
        LDSYNC_ENCRYPTION_KEY: h.encryptionKey,
        LDSYNC_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    workers.push(child);
    return child;
  }

  it('still ends with exact counts, no duplicate, and the run recorded once', async () => {
    const first = startWorkerProcess();
    const handle = await h.stack.client.workflow.start(SYNC_WORKFLOW_TYPE, {
      taskQueue: h.stack.taskQueue,
      workflowId: syncWorkflowId(h.connectionId),
      args: [{ connectionId: h.connectionId }],
    });
    // Kill once some flag pages are durably written but the flags are not all there.
    await waitFor(async () => {
      if (first.exitCode !== null) throw new Error(`the worker exited early (code ${first.exitCode})`);
      const { rows } = await h.pool.query<{ pages: number }>(
        `SELECT coalesce(sum(pages), 0)::int AS pages FROM ldsync.sync_run_streams s
         JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.stream = 'flags'`,
        [h.connectionId],
      );
      return (rows[0]?.pages ?? 0) >= 2;
    }, 120_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const flagsAtKill = (await h.liveCounts()).flags;
    assert.ok(flagsAtKill < h.sim.counts().flags, `killed mid-sync (${flagsAtKill} flags stored)`);

    startWorkerProcess();
    const result = (await handle.result()) as SyncResult;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));

    const { rows: runs } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ldsync.sync_runs WHERE connection_id = $1`,
      [h.connectionId],
    );
    assert.equal(runs[0]?.n, 1, 'one run row');
    // Counters are committed with the rows, so every stored row was counted as inserted exactly once.
    const { rows: inserted } = await h.pool.query<{ stream: string; n: number }>(
      `SELECT stream, sum(rows_inserted)::int AS n FROM ldsync.sync_run_streams s
       JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 GROUP BY stream ORDER BY stream`,
      [h.connectionId],
    );
    const live = await h.liveCounts();
    const byStream = Object.fromEntries(inserted.map((r) => [r.stream, r.n]));
    assert.equal(byStream.flags, live.flags + live.flag_environments);
    assert.equal(byStream.flag_statuses, live.flag_statuses);
    assert.equal(byStream.projects, live.projects);

    // Every request is counted before it is sent, so the killed worker's requests whose page never
    // committed are counted too: at least what the simulator received, and at most the few the kill
    // interrupted between counting and sending.
    const { rows: sent } = await h.pool.query<{ n: number }>(
      `SELECT sum(requests)::int AS n FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1`,
      [h.connectionId],
    );
    const received = h.sim.stats().requests;
    const counted = sent[0]?.n ?? 0;
    assert.ok(counted >= received && counted <= received + 10, `${counted} counted, ${received} received`);
  });

  it('keeps the token, SDK keys, mobile keys and pubnub secrets out of histories and tables', async () => {
    const secrets = [
      h.sim.readerToken,
      ...h.sim.account.projects.flatMap((p) =>
        p.environments.flatMap((e) => [e.apiKey, e.mobileKey, e.pubnub.cipherKey]),
      ),
    ];
    assert.ok(secrets.length > 3);

    const texts: string[] = [];
    for await (const wf of h.stack.client.workflow.list({ query: `TaskQueue = "${h.stack.taskQueue}"` })) {
      const history = await h.stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      texts.push(
        JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)),
      );
    }
    assert.ok(texts.length >= 2, 'the parent and its children were found');
    assert.ok(
      texts.some((t) => t.includes(h.connectionId)),
      'decoded payloads are searched',
    );

    for (const t of [
      ...TABLES.map((x) => `launchdarkly.${x}`),
      'ldsync.connections',
      'ldsync.sync_runs',
      'ldsync.sync_run_streams',
    ]) {
      const { rows } = await h.pool.query<{ row: string }>(`SELECT x::text AS row FROM ${t} x`);
      texts.push(rows.map((r) => r.row).join('\n'));
    }
    const all = texts.join('\n');
    for (const secret of secrets) assert.equal(all.includes(secret), false, `a secret leaked: ${secret.slice(0, 6)}…`);
    assert.equal(/"_pubnub"|"apiKey"|"mobileKey"/.test(all), false);
  });
});

describe('a sync that continues as new', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness('can', { seed: 9, projects: 8, environments: 2, flags: 10, teams: 1 });
  });
  after(async () => {
    await h?.close();
  });

  it('hands its remaining projects to the next run and records one run with exact counts', async () => {
    const result = await h.runSync({ historyEventLimit: 40, projectWindow: 1 });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    assert.equal(result.streams.projects.scopesDone, 1);
    assert.equal(result.streams.flags.scopesDone, 8);
    let runs = 0;
    for await (const _ of h.stack.client.workflow.list({
      query: `WorkflowId = "${syncWorkflowId(h.connectionId)}"`,
    })) {
      runs += 1;
    }
    assert.ok(runs >= 2, `continued as new (${runs} runs)`);
    const { rows } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ldsync.sync_runs WHERE connection_id = $1 AND status = 'succeeded'`,
      [h.connectionId],
    );
    assert.equal(rows[0]?.n, 1);
  });
});
