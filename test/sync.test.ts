// The durable sync end to end: real Temporal dev server and worker, real Postgres, the simulator over
// HTTP. One account is synced, re-synced unchanged, then mutated and synced again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectedCounts, startSyncHarness, TABLES, type SyncHarness } from './support/sync-harness';

describe('syncConnection', () => {
  let h: SyncHarness;

  before(async () => {
    h = await startSyncHarness('sync', { seed: 11, projects: 3, environments: 4, flags: 40, teams: 3 });
  });
  after(async () => {
    await h?.close();
  });

  it('a full sync stores exactly the account, with per-environment state, statuses and maintainers', async () => {
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    assert.ok(h.sim.counts().archivedFlags > 0, 'the account has archived flags to check');

    const project = h.sim.account.projects[0]!;
    for (const flag of project.flags.slice(0, 10)) {
      const { rows } = await h.pool.query<{
        archived: boolean;
        maintainer_team_key: string | null;
        maintainer_id: string | null;
        kind: string;
      }>(
        `SELECT archived, maintainer_team_key, maintainer_id, kind FROM launchdarkly.flags
         WHERE connection_id = $1 AND project_key = $2 AND flag_key = $3`,
        [h.connectionId, project.key, flag.key],
      );
      assert.equal(rows.length, 1, `flag ${flag.key} stored once`);
      assert.equal(rows[0]!.archived, flag.archived);
      assert.equal(rows[0]!.kind, flag.kind);
      assert.equal(rows[0]!.maintainer_team_key, flag.maintainerTeamKey ?? null);
      assert.equal(rows[0]!.maintainer_id, flag.maintainerId ?? null);
      for (const env of project.environments) {
        const state = flag.environments[env.key]!;
        const fe = await h.pool.query<{ on: boolean; last_modified: Date }>(
          `SELECT "on", last_modified FROM launchdarkly.flag_environments
           WHERE connection_id = $1 AND project_key = $2 AND flag_key = $3 AND environment_key = $4`,
          [h.connectionId, project.key, flag.key, env.key],
        );
        assert.equal(fe.rows[0]?.on, state.on, `${flag.key}/${env.key} on`);
        assert.equal(fe.rows[0]?.last_modified.getTime(), state.lastModified);
        const st = await h.pool.query<{ status: string; last_requested: Date | null }>(
          `SELECT status, last_requested FROM launchdarkly.flag_statuses
           WHERE connection_id = $1 AND project_key = $2 AND environment_key = $3 AND flag_key = $4`,
          [h.connectionId, project.key, env.key, flag.key],
        );
        assert.equal(st.rows[0]?.status, state.status.name);
        assert.equal(st.rows[0]?.last_requested?.toISOString() ?? null, state.status.lastRequested);
      }
    }
    const teamMaintained = project.flags.filter((f) => f.maintainerTeamKey).length;
    assert.ok(teamMaintained > 0, 'the account has team-maintained flags');
    const team = h.sim.account.teams[0]!;
    const { rows: maintainers } = await h.pool.query<{ member_id: string }>(
      `SELECT member_id FROM launchdarkly.team_maintainers WHERE connection_id = $1 AND team_key = $2 ORDER BY member_id`,
      [h.connectionId, team.key],
    );
    assert.deepEqual(
      maintainers.map((m) => m.member_id),
      [...team.maintainerIds].sort(),
    );

    const { rows: runs } = await h.pool.query<{ status: string; trigger: string; n: number }>(
      `SELECT status, trigger, count(*)::int AS n FROM ldsync.sync_runs WHERE connection_id = $1 GROUP BY 1, 2`,
      [h.connectionId],
    );
    // Started by hand (a client, as the CLI and the Web UI do), not by a Schedule.
    assert.deepEqual(runs, [{ status: 'succeeded', trigger: 'manual', n: 1 }]);
  });

  it('a second sync with no upstream change rewrites no row', async () => {
    const before = await rowVersions(h);
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded');
    for (const s of Object.values(result.streams)) {
      assert.equal(s.counts.inserted, 0);
      assert.equal(s.counts.updated, 0);
      assert.equal(s.counts.deleted, 0);
    }
    assert.deepEqual(await rowVersions(h), before, 'no row has a new xmin');
  });

  it('a sync after mutations reflects every one of them', async () => {
    const [p0, p1, p2] = h.sim.account.projects;
    assert.ok(p0 && p1 && p2);
    const added = h.sim.mutate.addFlag(p0.key, { name: 'Added between syncs' });
    const changed = p0.flags.find((f) => !f.archived && f.key !== added.key)!;
    h.sim.mutate.updateFlag(p0.key, changed.key, { name: 'Renamed between syncs' });
    const toggledEnv = p0.environments[0]!.key;
    const wasOn = changed.environments[toggledEnv]!.on;
    h.sim.mutate.setFlagOn(p0.key, changed.key, toggledEnv, !wasOn);
    const archived = p0.flags.find((f) => !f.archived && f.key !== changed.key && f.key !== added.key)!;
    h.sim.mutate.archiveFlag(p0.key, archived.key);
    const deleted = p0.flags.find((f) => ![added.key, changed.key, archived.key].includes(f.key))!;
    h.sim.mutate.deleteFlag(p0.key, deleted.key);
    const removedEnv = p1.environments[1]!.key;
    h.sim.mutate.removeEnvironment(p1.key, removedEnv);
    h.sim.mutate.removeProject(p2.key);

    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));

    const flag = async (key: string) =>
      (
        await h.pool.query<{ name: string; archived: boolean; deleted_at: Date | null }>(
          `SELECT name, archived, deleted_at FROM launchdarkly.flags WHERE connection_id = $1 AND project_key = $2 AND flag_key = $3`,
          [h.connectionId, p0.key, key],
        )
      ).rows[0];
    assert.equal((await flag(added.key))?.deleted_at, null);
    assert.equal((await flag(changed.key))?.name, 'Renamed between syncs');
    assert.deepEqual(
      { archived: (await flag(archived.key))?.archived, deleted: (await flag(archived.key))?.deleted_at },
      { archived: true, deleted: null },
      'archived flags are data, not deletions',
    );
    assert.ok((await flag(deleted.key))?.deleted_at instanceof Date, 'a deleted flag is marked deleted');
    const { rows: fe } = await h.pool.query<{ on: boolean }>(
      `SELECT "on" FROM launchdarkly.flag_environments
       WHERE connection_id = $1 AND project_key = $2 AND flag_key = $3 AND environment_key = $4`,
      [h.connectionId, p0.key, changed.key, toggledEnv],
    );
    assert.equal(fe[0]?.on, !wasOn);

    const deletedUnder = async (table: string, where: string, params: string[]) =>
      (
        await h.pool.query<{ live: number; gone: number }>(
          `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS gone
           FROM launchdarkly.${table} WHERE connection_id = $1 AND ${where}`,
          [h.connectionId, ...params],
        )
      ).rows[0];
    for (const table of ['environments', 'flags', 'flag_environments', 'flag_statuses']) {
      const r = await deletedUnder(table, 'project_key = $2', [p2.key]);
      assert.equal(r?.live, 0, `${table} of the removed project are marked deleted`);
      assert.ok((r?.gone ?? 0) > 0);
    }
    for (const table of ['flag_environments', 'flag_statuses']) {
      const r = await deletedUnder(table, 'project_key = $2 AND environment_key = $3', [p1.key, removedEnv]);
      assert.equal(r?.live, 0, `${table} of the removed environment are marked deleted`);
    }
  });
});

/** Every row's xmin: a row rewritten by UPDATE gets a new one. */
async function rowVersions(h: SyncHarness): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const { rows } = await h.pool.query<{ v: string }>(
      `SELECT xmin::text AS v FROM launchdarkly.${t} WHERE connection_id = $1 ORDER BY 1`,
      [h.connectionId],
    );
    out[t] = rows.map((r) => r.v);
  }
  return out;
}
