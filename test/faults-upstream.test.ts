// Fault suite (issue 9, item 5), LaunchDarkly misbehaving: 5xx, resets, slow responses, a 429 storm,
// truncated bodies, all mixed, wrong-typed fields; the account changing mid-sync (a project deleted
// while its flags are read); and a value Postgres cannot store (\u0000 in a flag's name).
// Retry log lines per fault are test/sync-counters.test.ts.
// Every fault scenario ends the same way (assertExact in test/support/fault-harness.ts): live rows
// equal, row by row, a clean reference sync of the same account; sum(rows_inserted) per table equals
// the live rows (nothing counted updated or unchanged in a first sync); exactly one sync_runs row with
// the right status and no stream left running; counters that add up (table counts = stream counts =
// run totals = the workflow result; requests counted >= requests the simulator received). The file
// ends with a secrets test over everything it produced (test/secrets-under-faults.test.ts then looks
// at all the suites' artifacts together).
//
// Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- test/faults-upstream.test.ts
// (the scenario table is printed at the end and written to $TMPDIR/ldsync-fault-artifacts/<run>/faults-upstream.report.json).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ERROR_TYPES } from '../src/shared';
import { type SimulatorOptions } from '../src/simulator';
import {
  activityAttempts,
  assertExact,
  captureRuntimeLogs,
  countedRequests,
  diffSnapshots,
  runRows,
  scenario,
  snapshot,
  streamRows,
  type RigOptions,
  type Snapshot,
} from './support/fault-harness';
import { ACCOUNT, attemptsSummary, faultSuite } from './support/fault-suite';
import { TABLES } from './support/sync-harness';
import { waitFor } from './support/wait';

// Before anything creates a Temporal connection: every worker log line of this process is kept.
captureRuntimeLogs();

const suite = faultSuite('faults-upstream');
const rig = suite.rig;
const closeRig = suite.closeRig;
let reference: Snapshot;

describe('fault suite: upstream', () => {
  before(async () => {
    reference = await suite.reference();
  });
  const cases: Array<{ name: string; sim: SimulatorOptions; rig?: Partial<RigOptions> }> = [
    {
      name: 'upstream 5xx (25 %)',
      sim: { ...ACCOUNT, faults: { errorRate: 0.25, errorStatuses: [500, 502, 503, 504] } },
    },
    { name: 'connection resets (15 %)', sim: { ...ACCOUNT, faults: { resetRate: 0.15 } } },
    {
      name: 'slow responses (20 % take 2.5 s; client timeout 2 s)',
      sim: { ...ACCOUNT, faults: { slowRate: 0.2, slowMs: 2_500 } },
      rig: { clientOptions: { timeoutMs: 2_000 } },
    },
    {
      name: '429 storm (2 per route, 4 overall, per second)',
      sim: {
        ...ACCOUNT,
        rateLimit: { routePerWindow: 2, globalPerWindow: 4, windowMs: 1_000, send429Headers: 'both' },
      },
    },
    { name: 'malformed (truncated) bodies (25 %)', sim: { ...ACCOUNT, faults: { malformedRate: 0.25 } } },
    {
      name: 'mixed: 5xx, resets, slow, truncated, rate limit',
      sim: {
        ...ACCOUNT,
        faults: { errorRate: 0.1, resetRate: 0.05, slowRate: 0.05, slowMs: 1_000, malformedRate: 0.05 },
        rateLimit: { routePerWindow: 5, globalPerWindow: 20, windowMs: 1_000, send429Headers: 'reset' },
      },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: retried, the run succeeds, exact`, { timeout: 300_000 }, async () => {
      await scenario(c.name, async () => {
        const r = await rig('upstream', { sim: c.sim, ...c.rig });
        const result = await (await r.start()).result();
        assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
        // Counted may exceed received by the resets of stale keep-alive sockets, which never reach the simulator.
        const exact = await assertExact(r, reference, { status: 'succeeded', result, requestSlack: 10 });
        const stats = r.sim.stats();
        const attempts = await activityAttempts(r);
        await closeRig(r);
        return {
          status: 'succeeded',
          ...exact,
          note: `faults ${JSON.stringify(stats.faults)}, 429s ${stats.rateLimited}; activities: ${attemptsSummary(attempts)}`,
        };
      });
    });
  }

  it('wrong-typed fields: schema_mismatch naming the field, not retried, data untouched; a clean re-sync is exact', async () => {
    await scenario('wrong-typed fields (30 % of flag pages)', async () => {
      const r = await rig('wrongtype', {
        sim: { ...ACCOUNT, faults: { wrongTypeRate: 0.3, routes: /^\/api\/v2\/flags\// } },
      });
      const first = await (await r.start()).result();
      assert.equal(first.status, 'partial', JSON.stringify(first.streams));
      const [run] = await runRows(r);
      assert.ok(run);
      const failed = (await streamRows(r, run.id)).filter((s) => s.status === 'failed');
      assert.ok(failed.length > 0);
      for (const s of failed) {
        assert.equal(s.stream, 'flags', `${s.stream}/${s.scope}: only flag pages were corrupted`);
        assert.equal(s.error_type, 'schema_mismatch');
        assert.match(s.error_message ?? '', /\bkind\b|\bname\b|\bkey\b/, 'the message names the field');
        assert.match(s.error_message ?? '', /\/api\/v2\/flags\//, 'and the endpoint');
      }
      const attempts = await activityAttempts(r);
      assert.deepEqual(
        attempts.filter((a) => a.attempt > 1),
        [],
        'schema_mismatch is never retried',
      );
      // What was stored is what the reference holds (no corrupted row), and every other stream is complete.
      const live = await snapshot(r);
      for (const t of TABLES) {
        const ref = new Set(reference[t]);
        assert.deepEqual(
          live[t].filter((row) => !ref.has(row)),
          [],
          `${t}: every stored row equals the reference's`,
        );
        if (t !== 'flags' && t !== 'flag_environments' && t !== 'flag_statuses') {
          assert.equal(live[t].length, reference[t].length, `${t} complete`);
        }
      }
      const firstRequests = `${await countedRequests(r)}/${r.sim.stats().requests}`;

      r.sim.configure({ faults: { wrongTypeRate: 0, routes: null } });
      const second = await (await r.start()).result();
      assert.equal(second.status, 'succeeded', JSON.stringify(second.streams));
      assert.deepEqual(diffSnapshots(await snapshot(r), reference), [], 'the re-sync is exact');
      const runs = await runRows(r);
      assert.deepEqual(
        runs.map((x) => x.status),
        ['partial', 'succeeded'],
      );
      await closeRig(r);
      return {
        status: 'partial, then succeeded',
        counts: `= reference after the re-sync; first run: ${failed.length} flag scopes schema_mismatch`,
        requests: firstRequests,
        note: attemptsSummary(attempts),
      };
    });
  });
});

describe('fault suite: the account changes mid-sync', () => {
  before(async () => {
    reference = await suite.reference();
  });
  it('a project deleted while its flags are being read: typed, the others exact, the next sync converges', async () => {
    await scenario('project deleted mid-flags', async () => {
      const r = await rig('projdel', { sim: { ...ACCOUNT, latencyMs: 400 } });
      const run = await r.start();
      let victim = '';
      await waitFor(
        async () => {
          const { rows } = await r.pool.query<{ scope: string }>(
            `SELECT s.scope FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs x ON x.id = s.run_id
             WHERE x.connection_id = $1 AND s.stream = 'flags' AND s.status = 'running' AND s.pages >= 1 LIMIT 1`,
            [r.connectionId],
          );
          victim = rows[0]?.scope ?? '';
          return victim !== '';
        },
        120_000,
        'a project mid-flags',
      );
      r.sim.mutate.removeProject(victim);
      r.sim.configure({ latencyMs: 0 });
      const first = await run.result().catch((err: unknown) => err);
      const [firstRun] = await runRows(r);
      assert.ok(firstRun && firstRun.status !== 'running');
      assert.ok(['succeeded', 'partial'].includes(firstRun.status), `run 1: ${firstRun.status} ${firstRun.error_type}`);
      const streams = await streamRows(r, firstRun.id);
      for (const s of streams.filter((x) => x.status === 'failed')) {
        assert.ok(
          s.scope === victim || s.scope.startsWith(`${victim}/`),
          `only the deleted project failed: ${s.stream}/${s.scope}`,
        );
        assert.equal(s.error_type, 'not_found', `${s.stream}/${s.scope}`);
        assert.match(s.error_message ?? '', new RegExp(victim));
      }
      const attempts = await activityAttempts(r);
      assert.deepEqual(
        attempts.filter((a) => a.attempt > 1),
        [],
        'a 404 is not retried',
      );
      // The other projects are complete and equal to the reference.
      const live = await snapshot(r);
      const notVictim = (row: string) => (JSON.parse(row) as { project_key?: string }).project_key !== victim;
      for (const t of ['environments', 'flags', 'flag_environments', 'flag_statuses'] as const) {
        assert.deepEqual(live[t].filter(notVictim), reference[t].filter(notVictim), `${t} of the other projects`);
      }

      // The next sync converges to a clean sync of the account as it is now (a reference without that project).
      const second = await (await r.start()).result();
      assert.equal(second.status, 'succeeded', JSON.stringify(second.streams));
      const expected = Object.fromEntries(
        TABLES.map((t) => [
          t,
          t === 'projects' || TABLES.slice(1, 5).includes(t) ? reference[t].filter(notVictim) : reference[t],
        ]),
      ) as Snapshot;
      // Tags only the deleted project's flags carried disappear from /tags too: the live tags are the simulator's.
      const tagCount = r.sim.counts().tags;
      const now = await snapshot(r);
      assert.deepEqual(
        diffSnapshots({ ...now, tags: [] }, { ...expected, tags: [] }),
        [],
        'live rows = the account without the project',
      );
      assert.equal(now.tags.length, tagCount);
      const { rows: deleted } = await r.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM launchdarkly.flags WHERE connection_id = $1 AND project_key = $2 AND deleted_at IS NOT NULL`,
        [r.connectionId, victim],
      );
      assert.ok((deleted[0]?.n ?? 0) > 0, 'its flags are marked deleted');
      const requests = `${await countedRequests(r)}/${r.sim.stats().requests}`;
      await closeRig(r);
      return {
        status: `${firstRun.status}${first instanceof Error ? ' (workflow failed)' : ''}, then succeeded`,
        counts: '= account without the project after the next sync',
        requests,
        note: `victim ${victim}; ${streams.filter((x) => x.status === 'failed').length} scopes failed in run 1`,
      };
    });
  });

  it('a page Postgres refuses for its content (\\u0000 in a flag): typed naming the flag or stored safely; never retried in vain; the rest kept', async () => {
    await scenario('flag name/description holding \\u0000', async () => {
      const r = await rig('nulbyte', { sim: ACCOUNT, worker: 'none' });
      const project = r.sim.account.projects[1];
      assert.ok(project);
      const bad = project.flags[5];
      assert.ok(bad);
      r.sim.mutate.updateFlag(project.key, bad.key, { name: 'nul\u0000name', description: 'a \u0000 description' });
      await r.startWorker();
      const result = await (await r.start()).result().catch((err: unknown) => err);
      const [run] = await runRows(r);
      assert.ok(run && run.status !== 'running', 'the run ended');
      const streams = await streamRows(r, run.id);
      const failed = streams.filter((s) => s.status === 'failed');
      const attempts = await activityAttempts(r);
      const live = await snapshot(r);
      const isBad = (row: string) => {
        const x = JSON.parse(row) as { project_key?: string; flag_key?: string };
        return x.project_key === project.key && x.flag_key === bad.key;
      };
      // Every other flag (and its per-environment rows and statuses) is stored as in the reference.
      for (const t of ['flags', 'flag_environments', 'flag_statuses'] as const) {
        const others = reference[t].filter((row) => !isBad(row));
        const have = new Set(live[t]);
        assert.deepEqual(
          others.filter((row) => !have.has(row)).length,
          0,
          `${t}: the other items of the page are kept (${failed.map((f) => `${f.stream}/${f.scope} ${f.error_type}: ${f.error_message}`).join('; ')})`,
        );
      }
      for (const s of failed) {
        assert.ok(ERROR_TYPES.includes(s.error_type as never), `typed: ${s.error_type}`);
        assert.notEqual(s.error_type, 'database_unavailable', 'not an outage');
        assert.match(s.error_message ?? '', new RegExp(bad.key), 'the failure names the flag');
      }
      assert.deepEqual(
        attempts.filter((a) => a.attempt > 1),
        [],
        'nothing retried in vain',
      );
      if (failed.length === 0) {
        const { rows } = await r.pool.query<{ name: string; description: string | null }>(
          'SELECT name, description FROM launchdarkly.flags WHERE connection_id = $1 AND project_key = $2 AND flag_key = $3',
          [r.connectionId, project.key, bad.key],
        );
        assert.ok(rows[0], 'the flag is stored');
        assert.doesNotMatch(rows[0].name, /\u0000/);
        assert.match(rows[0].name, /^nul.?name$/, 'stored safely, recognisably');
      }
      const requests = `${await countedRequests(r)}/${r.sim.stats().requests}`;
      await closeRig(r);
      return {
        status: `${run.status}${result instanceof Error ? ' (workflow failed)' : ''}`,
        counts: failed.length ? `all but ${bad.key} kept` : '= reference except the stored-safely flag',
        requests,
        note: failed.length ? `${failed[0]?.error_type}: ${failed[0]?.error_message?.slice(0, 120)}` : 'stored safely',
      };
    });
  });
});

suite.secretsTest();
