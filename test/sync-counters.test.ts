// Counters that add up (issue 9, item 4): `requests` in ldsync.sync_run_streams counts every request
// sent, retries and requests whose page never committed included, and every retried response leaves
// one log line with its type. Real stack: simulator over HTTP, Temporal dev server, Postgres.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { syncWorkflowId } from '../src/shared';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { expectedCounts, startSyncHarness, type SyncHarness } from './support/sync-harness';

// The activities log through Temporal's runtime logger: capture it before anything else installs one.
interface LogLine {
  level: number;
  msg: string;
  cause?: string;
  errorType?: string;
  stream?: string;
  endpoint?: string;
}
const lines: LogLine[] = [];
installTemporalRuntime(
  pino(
    { level: 'info' },
    {
      write(chunk: string) {
        for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      },
    },
  ),
);

const retryLines = () => lines.filter((l) => l.msg.startsWith('LaunchDarkly request retried'));

async function streamRequests(h: SyncHarness, where = 'true'): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    `SELECT coalesce(sum(s.requests), 0)::int AS n FROM ldsync.sync_run_streams s
     JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND ${where}`,
    [h.connectionId],
  );
  return rows[0]?.n ?? 0;
}

describe('request counters and retry log lines', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness(
      'counters',
      {
        seed: 31,
        projects: 2,
        environments: 4,
        flags: 420,
        faults: { errorRate: 0.15, resetRate: 0.1, malformedRate: 0.3, errorStatuses: [500, 502, 503] },
      },
      // Enough client retries that no page gives up: every fault is one retried response.
      { clientOptions: { maxRetries: 8, retryBaseDelayMs: 5, timeoutMs: 10_000 } },
    );
  });
  after(async () => {
    await h?.close();
  });

  it('count every request the simulator received, and log each retried response with its type', async () => {
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));

    const stats = h.sim.stats();
    assert.ok(stats.faults.errors > 0 && stats.faults.resets > 0 && stats.faults.malformed > 0, JSON.stringify(stats));
    const retried = retryLines();
    const byCause = (cause: string) => retried.filter((l) => l.cause === cause).length;
    assert.equal(byCause('status'), stats.faults.errors, '5xx answers retried = 5xx answers sent');
    assert.equal(byCause('malformed_body'), stats.faults.malformed, 'truncated bodies retried = truncated bodies sent');
    // A reset of a keep-alive socket the server had closed on its own is retried too, before reaching it.
    const clientOnlyResets = byCause('reset') - stats.faults.resets;
    assert.ok(clientOnlyResets >= 0, `${byCause('reset')} reset lines for ${stats.faults.resets} resets`);
    for (const line of retried) {
      assert.equal(line.errorType, 'upstream_unavailable', JSON.stringify(line));
      assert.ok(line.stream && line.endpoint?.startsWith('/api/v2/'), JSON.stringify(line));
      assert.ok(line.level >= 40, 'retries of errors are warnings');
    }

    // Every request sent is counted once: those the simulator saw, plus resets that never reached it.
    assert.equal(await streamRequests(h), stats.requests + clientOnlyResets);
    const { rows } = await h.pool.query<{ totals: { requests: number } }>(
      'SELECT totals FROM ldsync.sync_runs WHERE connection_id = $1',
      [h.connectionId],
    );
    assert.equal(rows[0]?.totals.requests, stats.requests + clientOnlyResets, 'the run totals add up too');
  });

  it('count the requests of pages that never committed (a stream whose every attempt failed)', async () => {
    h.sim.configure({ faults: { errorRate: 1, resetRate: 0, malformedRate: 0, routes: /^\/api\/v2\/tags/ } });
    h.sim.resetStats();
    lines.length = 0;
    const result = await h.runSync({ maxAttempts: 2 });
    assert.equal(result.status, 'partial');
    assert.equal(result.streams.tags.state, 'failed');
    const tagRequests = h.sim.stats().byRoute['/api/v2/tags'] ?? 0;
    assert.equal(tagRequests, 2 * 9, '2 attempts of 1 + 8 retries each');
    const { rows } = await h.pool.query<{ requests: number; status: string; error_type: string }>(
      `SELECT s.requests, s.status, s.error_type FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1 AND s.stream = 'tags' ORDER BY r.started_at DESC LIMIT 1`,
      [h.connectionId],
    );
    assert.deepEqual(rows[0], { requests: tagRequests, status: 'failed', error_type: 'upstream_unavailable' });
    assert.equal(
      retryLines().filter((l) => l.endpoint === '/api/v2/tags').length,
      2 * 8,
      'one line per retried response',
    );
  });
});

describe('permissions are not entitlements', () => {
  let plan: SyncHarness;
  let teamsForbidden: SyncHarness;
  let nothingAllowed: SyncHarness;
  const quick = { clientOptions: { maxRetries: 0, timeoutMs: 5_000 } };
  const account = { seed: 41, projects: 2, environments: 2, flags: 12 };
  before(async () => {
    plan = await startSyncHarness('noteamsplan', { ...account, teamsEntitlement: 405 }, quick);
    teamsForbidden = await startSyncHarness('noteamsperm', account, { ...quick, worker: false });
    await teamsForbidden.pool.query('UPDATE ldsync.connections SET token_ciphertext = $2 WHERE id = $1', [
      teamsForbidden.connectionId,
      teamsForbidden.cipher.encrypt(teamsForbidden.sim.noTeamsPermissionToken, teamsForbidden.connectionId),
    ]);
    await teamsForbidden.startWorker();
    nothingAllowed = await startSyncHarness('noperm', account, { ...quick, worker: false });
    await nothingAllowed.pool.query('UPDATE ldsync.connections SET token_ciphertext = $2 WHERE id = $1', [
      nothingAllowed.connectionId,
      nothingAllowed.cipher.encrypt(nothingAllowed.sim.noPermissionToken, nothingAllowed.connectionId),
    ]);
    await nothingAllowed.startWorker();
  });
  after(async () => {
    await plan?.close();
    await teamsForbidden?.close();
    await nothingAllowed?.close();
  });

  async function teamsRow(h: SyncHarness) {
    const { rows } = await h.pool.query<{ status: string; error_type: string; error_message: string }>(
      `SELECT s.status, s.error_type, s.error_message FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1 AND s.stream = 'teams'`,
      [h.connectionId],
    );
    return rows[0];
  }

  it('a plan without Teams (405) skips the teams streams as not_entitled; the run succeeds', async () => {
    const result = await plan.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.equal(result.streams.teams.state, 'skipped');
    assert.equal((await teamsRow(plan))?.error_type, 'not_entitled');
  });

  it('a token that may not read teams (403) fails the teams stream as invalid_permissions, not skipped', async () => {
    const result = await teamsForbidden.runSync();
    assert.equal(result.status, 'partial', JSON.stringify(result.streams));
    assert.equal(result.streams.teams.state, 'failed');
    assert.equal(result.streams.teams.errors[0]?.type, 'invalid_permissions');
    const row = await teamsRow(teamsForbidden);
    assert.equal(row?.status, 'failed');
    assert.equal(row?.error_type, 'invalid_permissions');
    assert.match(row?.error_message ?? '', /Reader role/);
    const live = await teamsForbidden.liveCounts();
    assert.deepEqual(
      { ...live, teams: 0, team_maintainers: 0 },
      { ...expectedCounts(teamsForbidden.sim), teams: 0, team_maintainers: 0 },
    );
  });

  it('a token that may read nothing ends the run failed with invalid_permissions, not partial', async () => {
    await nothingAllowed.runSync().catch(() => undefined); // a failed run may fail its workflow
    const { rows } = await nothingAllowed.pool.query<{ status: string; error_type: string }>(
      'SELECT status, error_type FROM ldsync.sync_runs WHERE connection_id = $1',
      [nothingAllowed.connectionId],
    );
    assert.deepEqual(rows, [{ status: 'failed', error_type: 'invalid_permissions' }]);
    assert.notEqual((await teamsRow(nothingAllowed))?.error_type, 'not_entitled');
  });
});

describe('a worker with another LDSYNC_ENCRYPTION_KEY', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness('wrongkey', { seed: 43, projects: 1, environments: 1, flags: 3 }, { worker: false });
    const other = new TokenCipher(parseEncryptionKey(generateEncryptionKey()));
    await h.pool.query('UPDATE ldsync.connections SET token_ciphertext = $2 WHERE id = $1', [
      h.connectionId,
      other.encrypt(h.sim.readerToken, h.connectionId),
    ]);
    await h.startWorker();
  });
  after(async () => {
    await h?.close();
  });

  it('fails as token_undecryptable, saying what to do, without retries and without a request', async () => {
    await h.runSync().catch(() => undefined);
    const { rows } = await h.pool.query<{ error_type: string; error_message: string }>(
      `SELECT s.error_type, s.error_message FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1 AND s.status = 'failed' AND s.error_type = 'token_undecryptable'`,
      [h.connectionId],
    );
    assert.ok(rows.length > 0, 'the streams that ran failed as token_undecryptable');
    for (const r of rows) assert.match(r.error_message, /LDSYNC_ENCRYPTION_KEY/);
    assert.equal(h.sim.stats().requests, 0, 'nothing was sent to LaunchDarkly');
    const history = await h.stack.client.workflow.getHandle(syncWorkflowId(h.connectionId)).fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) =>
      e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
    );
    assert.ok(
      attempts.every((a) => a === 1),
      `never retried (${JSON.stringify(attempts)})`,
    );
  });
});
