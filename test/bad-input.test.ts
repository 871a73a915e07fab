// The bad-input suite (issue 9, item 6): an invalid token, a token without permission (none, or not
// for teams), an unknown connection, malformed and unreachable base URLs, a base URL with /api/v2,
// `connections add` of an unreachable URL, a wrong LDSYNC_ENCRYPTION_KEY, bad workflow inputs and
// options, oversized pages and unknown extra fields from the API, unknown CLI arguments. Each: its
// typed error, a message saying what to do, no data lost or corrupted (one rig holds a complete sync
// that every case meets), the other streams complete, nothing retried in vain (activity attempts
// counted from the histories). The CLI's whole exit-code table is test/operator-cli-contract.test.ts.

//
// Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- test/bad-input.test.ts
// (the scenario table is printed at the end and written to $TMPDIR/ldsync-fault-artifacts/<run>/bad-input.report.json).
import assert from 'node:assert/strict';
import { before, describe, it, after } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection } from '../src/db';
import { SYNC_WORKFLOW_TYPE, type SyncResult } from '../src/shared';
import {
  activityAttempts,
  assertExact,
  captureRuntimeLogs,
  cli,
  countedRequests,
  countsOf,
  diffSnapshots,
  ledger,
  runRows,
  scenario,
  snapshot,
  startRewritingProxy,
  streamRows,
  type Rig,
  type Snapshot,
} from './support/fault-harness';
import { ACCOUNT, failureOf, faultSuite } from './support/fault-suite';
import { TABLES } from './support/sync-harness';

// Before anything creates a Temporal connection: every worker log line of this process is kept.
captureRuntimeLogs();

const suite = faultSuite('bad-input');
const rig = suite.rig;
const closeRig = suite.closeRig;
let reference: Snapshot;

describe('bad-input suite', () => {
  before(async () => {
    reference = await suite.reference();
  });
  let r: Rig;
  let before_: Snapshot;
  const LD_TOKEN = 'LD_TOKEN';

  before(async () => {
    r = await rig('badinput', {
      sim: ACCOUNT,
      clientOptions: { maxRetries: 1, retryBaseDelayMs: 100, timeoutMs: 5_000 },
    });
    const result = await (await r.start()).result();
    assert.equal(result.status, 'succeeded');
    before_ = await snapshot(r);
    assert.deepEqual(diffSnapshots(before_, reference), []);
  });
  after(async () => {
    await closeRig(r);
  });

  async function setToken(token: string): Promise<void> {
    ledger.secrets.add(token);
    await r.pool.query('UPDATE ldsync.connections SET token_ciphertext = $2 WHERE id = $1', [
      r.connectionId,
      r.cipher.encrypt(token, r.connectionId),
    ]);
  }

  /** The data is as it was, row for row, and no row was rewritten. */
  async function assertUntouched(since: Date): Promise<void> {
    assert.deepEqual(diffSnapshots(await snapshot(r), before_), [], 'no data lost or corrupted');
    for (const t of TABLES) {
      const { rows } = await r.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM launchdarkly.${t} WHERE connection_id = $1 AND (updated_at >= $2 OR deleted_at IS NOT NULL)`,
        [r.connectionId, since],
      );
      assert.equal(rows[0]?.n, 0, `${t}: no row rewritten or marked deleted`);
    }
  }

  async function lastRun() {
    const runs = await runRows(r);
    return runs[runs.length - 1];
  }

  async function notRetried(since: Date): Promise<string> {
    const attempts = await activityAttempts(r, since);
    assert.deepEqual(
      attempts.filter((a) => a.attempt > 1),
      [],
      'nothing retried',
    );
    return `${attempts.length} activities, none retried`;
  }

  async function badCase(name: string, body: () => Promise<{ status: string; note?: string }>): Promise<void> {
    await scenario(`bad input: ${name}`, async () => {
      const row = await body();
      return { counts: 'data untouched', requests: '-', ...row };
    });
  }

  it('an invalid token: invalid_credentials with what to do, one attempt, data untouched', async () => {
    await badCase('invalid token', async () => {
      const since = new Date();
      await setToken('api-invalid-0000-faults-suite');
      const f = await failureOf((await r.start()).result());
      assert.equal(f.type, 'invalid_credentials');
      assert.match(f.message, new RegExp(r.connectionId));
      assert.match(f.message, /token/i);
      assert.match(f.message, /connections add|new token|replace/i, 'says what to do');
      assert.equal((await lastRun())?.status, 'failed');
      const note = await notRetried(since);
      await assertUntouched(since);
      return { status: 'failed invalid_credentials', note };
    });
  });

  it('a token without permission: invalid_permissions (failed, not partial), one attempt, data untouched', async () => {
    await badCase('token without any permission', async () => {
      const since = new Date();
      await setToken(r.sim.noPermissionToken);
      const f = await failureOf((await r.start()).result());
      assert.equal(f.type, 'invalid_permissions');
      assert.match(f.message, /Reader role|permission/i, 'says what to do');
      const run = await lastRun();
      assert.equal(run?.status, 'failed');
      assert.equal(run?.error_type, 'invalid_permissions');
      const note = await notRetried(since);
      await assertUntouched(since);
      return { status: 'failed invalid_permissions', note };
    });
  });

  it('a token that may not read teams: teams fail invalid_permissions, the other streams complete, teams rows kept', async () => {
    await badCase('token without teams permission', async () => {
      const since = new Date();
      await setToken(r.sim.noTeamsPermissionToken);
      const result = await (await r.start()).result();
      assert.equal(result.status, 'partial');
      assert.equal(result.streams.teams.errors[0]?.type, 'invalid_permissions');
      for (const s of ['projects', 'tags', 'environments', 'flags', 'flag_statuses'] as const) {
        assert.equal(result.streams[s].state, 'succeeded', s);
      }
      const note = await notRetried(since);
      // Teams seen before are not deleted because this token cannot see them.
      await assertUntouched(since);
      return { status: 'partial (teams invalid_permissions)', note };
    });
  });

  it('an unknown connection: connection_not_found from the workflow and the CLI, no run recorded', async () => {
    await badCase('unknown connection', async () => {
      const since = new Date();
      const nobody = `nobody-${r.connectionId.slice(-8)}`;
      const f = await failureOf(
        r.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
          taskQueue: r.stack.taskQueue,
          workflowId: `ldsync-${nobody}`,
          args: [{ connectionId: nobody }],
        }),
      );
      assert.equal(f.type, 'connection_not_found');
      assert.match(f.message, /connections add/);
      const attempts = await activityAttempts(r, since);
      assert.deepEqual(
        attempts.filter((a) => a.attempt > 1),
        [],
      );
      const out = await cli(['sync', nobody], r.cliEnv());
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /connection_not_found: .*connections add/);
      const { rows } = await r.pool.query('SELECT 1 FROM ldsync.sync_runs WHERE connection_id = $1', [nobody]);
      assert.equal(rows.length, 0);
      return { status: 'connection_not_found (exit 1)', note: `${attempts.length} activities, none retried` };
    });
  });

  it('malformed base URLs are refused when the connection is added (exit 2, saying what a base URL is)', async () => {
    await badCase('malformed base URL', async () => {
      const env = r.cliEnv({ [LD_TOKEN]: r.sim.readerToken });
      for (const url of ['not a url', 'ftp://app.launchdarkly.com', 'http://']) {
        const out = await cli(['connections', 'add', 'malformed', '--token-env', LD_TOKEN, '--base-url', url], env);
        assert.equal(out.code, 2, `${url}: ${out.stderr}`);
        assert.match(out.stderr, /base URL must be an http\(s\) URL such as https:\/\/app\.launchdarkly\.com/);
      }
      await assert.rejects(
        addConnection(r.pool, r.cipher, { id: 'malformed', baseUrl: 'notaurl', token: r.sim.readerToken }),
        /base URL/,
      );
      const { rows } = await r.pool.query("SELECT 1 FROM ldsync.connections WHERE id = 'malformed'");
      assert.equal(rows.length, 0, 'nothing stored');
      return { status: 'refused (exit 2)' };
    });
  });

  it('an unreachable base URL: upstream_unavailable naming the host, bounded retries, dependants not run, data untouched', async () => {
    await badCase('unreachable base URL', async () => {
      await setToken(r.sim.readerToken);
      const since = new Date();
      await r.pool.query('UPDATE ldsync.connections SET base_url = $2 WHERE id = $1', [
        r.connectionId,
        'http://127.0.0.1:9',
      ]);
      try {
        const outcome = await (await r.start({ maxAttempts: 2 })).result().catch((err: unknown) => err);
        const run = await lastRun();
        assert.equal(run?.status, 'failed', `nothing could be read: failed (${JSON.stringify(outcome).slice(0, 300)})`);
        assert.equal(run?.error_type, 'upstream_unavailable');
        assert.match(run?.error_message ?? '', /127\.0\.0\.1:9/, 'names the host');
        assert.match(run?.error_message ?? '', /base URL|network|reach/i, 'says what to check');
        assert.ok(outcome instanceof WorkflowFailedError, 'a failed run fails its workflow');
        const attempts = await activityAttempts(r, since);
        assert.ok(
          attempts.every((a) => a.attempt <= 2),
          `at most options.maxAttempts attempts (${JSON.stringify(attempts)})`,
        );
        const streams = await streamRows(r, run.id);
        assert.deepEqual(
          streams.filter(
            (s) => ['environments', 'flags', 'flag_statuses', 'team_maintainers'].includes(s.stream) && s.requests > 0,
          ),
          [],
          'streams that depend on projects/teams sent nothing',
        );
        await assertUntouched(since);
        return { status: 'failed upstream_unavailable', note: `${attempts.length} activity attempts (max 2 each)` };
      } finally {
        await r.pool.query('UPDATE ldsync.connections SET base_url = $2 WHERE id = $1', [
          r.connectionId,
          r.sim.baseUrl,
        ]);
      }
    });
  });

  it('a base URL with /api/v2: normalised (or refused), and a sync through it is exact', async () => {
    await badCase('base URL with a path (/api/v2)', async () => {
      const id = `withpath-${r.connectionId.slice(-8)}`;
      const env = r.cliEnv({ [LD_TOKEN]: r.sim.readerToken });
      const out = await cli(
        ['connections', 'add', id, '--token-env', LD_TOKEN, '--base-url', `${r.sim.baseUrl}/api/v2/`],
        env,
      );
      if (out.code === 2) {
        assert.match(out.stderr, /api\/v2/, 'refused, saying why');
        return { status: 'refused (exit 2)' };
      }
      assert.equal(out.code, 0, out.stderr);
      const result = (await r.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
        taskQueue: r.stack.taskQueue,
        workflowId: `ldsync-${id}`,
        args: [{ connectionId: id }],
      })) as SyncResult;
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      assert.deepEqual(diffSnapshots(await snapshot({ pool: r.pool, connectionId: id }), reference), []);
      const { rows } = await r.pool.query<{ base_url: string }>(
        'SELECT base_url FROM ldsync.connections WHERE id = $1',
        [id],
      );
      return {
        status: 'accepted, synced exact',
        note: `stored as ${rows[0]?.base_url.replace(r.sim.baseUrl, '<sim>')}`,
      };
    });
  });

  it('`connections add` of an unreachable URL warns, or offers `connections validate`', async () => {
    await badCase('connections add of an unreachable URL', async () => {
      const id = `far-${r.connectionId.slice(-8)}`;
      const out = await cli(
        ['connections', 'add', id, '--token-env', LD_TOKEN, '--base-url', 'http://127.0.0.1:9'],
        r.cliEnv({ [LD_TOKEN]: r.sim.readerToken }),
      );
      assert.equal(out.code, 0, out.stderr);
      assert.match(`${out.stdout}\n${out.stderr}`, /unreachable|could not (reach|connect)|connections validate/i);
      return { status: `exit ${out.code}`, note: `${out.stdout.trim()} ${out.stderr.trim()}`.slice(0, 160) };
    });
  });

  it('a wrong LDSYNC_ENCRYPTION_KEY: token_undecryptable naming the variable, one attempt, data untouched', async () => {
    await badCase('wrong LDSYNC_ENCRYPTION_KEY', async () => {
      const since = new Date();
      const otherKey = generateEncryptionKey();
      ledger.secrets.add(otherKey);
      ledger.secrets.add(r.encryptionKey);
      await r.stopWorker();
      await r.startWorker({ cipher: new TokenCipher(parseEncryptionKey(otherKey)) });
      try {
        const f = await failureOf((await r.start()).result());
        assert.equal(f.type, 'token_undecryptable');
        assert.match(f.message, /LDSYNC_ENCRYPTION_KEY/);
        assert.equal((await lastRun())?.error_type, 'token_undecryptable');
        const note = await notRetried(since);
        const out = await cli(
          ['connections', 'validate', r.connectionId],
          r.cliEnv({ LDSYNC_ENCRYPTION_KEY: otherKey }),
        );
        assert.notEqual(out.code, 0);
        assert.match(out.stderr, /token_undecryptable|LDSYNC_ENCRYPTION_KEY/);
        await assertUntouched(since);
        return { status: `failed token_undecryptable; validate exit ${out.code}`, note };
      } finally {
        await r.stopWorker();
        await r.startWorker();
      }
    });
  });

  it('a bad workflow input or option: invalid_input, no activity, no run', async () => {
    await badCase('bad workflow input / option', async () => {
      const since = new Date();
      const inputs: unknown[] = [
        {},
        { connectionId: 'Not A Valid Id!' },
        { connectionId: r.connectionId, options: { maxAttempts: 0 } },
        { connectionId: r.connectionId, options: { projectWindow: 'four' } },
        { connectionId: r.connectionId, options: { bogus: 1 } },
        'just a string',
      ];
      for (const [i, input] of inputs.entries()) {
        const f = await failureOf(
          r.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
            taskQueue: r.stack.taskQueue,
            workflowId: `${r.workflowId}-bad-${i}`,
            args: [input],
          }),
        );
        assert.equal(f.type, 'invalid_input', JSON.stringify(input));
        assert.match(f.message, /syncConnection takes one JSON object/);
        assert.equal(f.nonRetryable, true);
      }
      const attempts = await activityAttempts(r, since);
      assert.deepEqual(attempts, [], 'no activity ran');
      assert.equal((await runRows(r)).filter((x) => x.finished_at && x.finished_at >= since).length, 0, 'no run row');
      await assertUntouched(since);
      return { status: `invalid_input x${inputs.length}`, note: 'no activity scheduled' };
    });
  });

  it('unknown CLI arguments: exit 2, nothing written', async () => {
    await badCase('unknown CLI arguments', async () => {
      const since = new Date();
      const env = r.cliEnv({ [LD_TOKEN]: r.sim.readerToken });
      const cases = [
        ['frobnicate'],
        ['sync', r.connectionId, '--bogus'],
        ['sync', r.connectionId, 'extra'],
        ['connections', 'add', 'unknownarg', '--token-env', LD_TOKEN, '--colour', 'red'],
      ];
      for (const args of cases) {
        const out = await cli(args, env);
        assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
        assert.match(out.stderr, /unknown|too many/);
      }
      const { rows } = await r.pool.query("SELECT 1 FROM ldsync.connections WHERE id = 'unknownarg'");
      assert.equal(rows.length, 0);
      const runs = await runRows(r);
      assert.equal(runs.filter((x) => x.finished_at && x.finished_at >= since).length, 0, 'no sync started');
      return { status: `exit 2 x${cases.length}` };
    });
  });
});

describe('bad-input suite: what the API sends', () => {
  before(async () => {
    reference = await suite.reference();
  });
  it('oversized pages (100 flags of 60 KB each in one page): stored whole, nothing of it in Temporal', async () => {
    await scenario('bad input: oversized pages', async () => {
      const r = await rig('oversized', { sim: ACCOUNT, worker: 'none' });
      const project = r.sim.account.projects[0];
      assert.ok(project);
      const big = 'x'.repeat(60_000);
      for (const f of project.flags) r.sim.mutate.updateFlag(project.key, f.key, { description: `${f.key} ${big}` });
      await r.startWorker();
      const result = await (await r.start()).result();
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      const live = await snapshot(r);
      assert.deepEqual(countsOf(live), countsOf(reference));
      const { rows } = await r.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM launchdarkly.flags WHERE connection_id = $1 AND project_key = $2 AND length(description) > 60000`,
        [r.connectionId, project.key],
      );
      assert.equal(rows[0]?.n, project.flags.length, 'every description stored whole');
      const history = await r.client.workflow.getHandle(r.workflowId).fetchHistory();
      const size = JSON.stringify(history).length;
      assert.ok(size < 500_000, `the workflow history stays small (${size} characters)`);
      assert.doesNotMatch(JSON.stringify(history), /xxxxxxxxxx/);
      const requests = `${await countedRequests(r)}/${r.sim.stats().requests}`;
      await closeRig(r);
      return {
        status: 'succeeded',
        counts: '= reference counts (descriptions differ by design)',
        requests,
        note: `history ${size} chars`,
      };
    });
  });

  it('unknown extra fields in every object: ignored by the schema, kept in raw, the rows exact', async () => {
    await scenario('bad input: unknown extra fields', async () => {
      let proxy: Awaited<ReturnType<typeof startRewritingProxy>> | undefined;
      // Fields this client has never heard of, on the body and on every item of a list (not inside maps
      // keyed by data, such as a flag's `environments`, where a new key is a new environment).
      const extra = { futureField: { nested: [1, 'two'] }, kindV2: 'experimental' };
      const addFields = (body: unknown): unknown => {
        if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
        const o = body as Record<string, unknown>;
        const items = Array.isArray(o.items)
          ? o.items.map((i: unknown) => (i && typeof i === 'object' ? { ...i, ...extra } : i))
          : o.items;
        return { ...o, ...extra, ...(items !== undefined ? { items } : {}) };
      };
      const r = await rig('extrafields', {
        sim: ACCOUNT,
        baseUrl: async (url) => {
          proxy = await startRewritingProxy(url, addFields);
          return proxy.url;
        },
      });
      try {
        const result = await (await r.start()).result();
        assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
        // Compare without raw and its hashes (raw keeps the extra fields: the API's answer minus secrets).
        const strip = (s: Snapshot): Snapshot =>
          Object.fromEntries(
            TABLES.map((t) => [
              t,
              s[t]
                .map((row) => {
                  const o = JSON.parse(row) as Record<string, unknown>;
                  delete o.raw;
                  delete o.content_hash;
                  delete o.source_hash;
                  return JSON.stringify(o);
                })
                .sort(),
            ]),
          ) as Snapshot;
        assert.deepEqual(diffSnapshots(strip(await snapshot(r)), strip(reference)), []);
        const exact = await assertExact(r, strip(reference), { status: 'succeeded', result, strip, requestSlack: 10 });
        await closeRig(r);
        return {
          status: 'succeeded',
          counts: '= reference (columns; raw keeps the extra fields)',
          requests: exact.requests,
        };
      } finally {
        await proxy?.close();
      }
    });
  });
});

suite.secretsTest();
