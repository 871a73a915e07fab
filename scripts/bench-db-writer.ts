// Prints how fast the stream writer stores a flags pass: a first pass (all inserts), an unchanged
// re-sync (no row rewritten), and a pass where 10% of flags changed and 10% vanished.
//   DATABASE_URL=postgres://... npx tsx scripts/bench-db-writer.ts [flags=5000] [environments=5]
import pg from 'pg';
import type { FlagEnvironmentRow, FlagRow } from '../src/db/rows';
import { beginRun, finishRun } from '../src/db/runs';
import { completeStream, openStream, writePage, type StreamKey } from '../src/db/stream-writer';
import { createIsolatedDatabase } from '../src/db/test-database';

const PAGE = 100;

function flagRow(i: number, version: number): FlagRow {
  return {
    projectKey: 'bench',
    flagKey: `flag-${i}`,
    name: `Flag ${i}`,
    description: version > 1 ? `changed in version ${version}` : null,
    kind: 'boolean',
    temporary: i % 3 === 0,
    archived: false,
    deprecated: false,
    createdAt: new Date(1_700_000_000_000 + i),
    archivedAt: null,
    deprecatedAt: null,
    maintainerId: `member-${i % 17}`,
    maintainerTeamKey: `team-${i % 5}`,
    tags: ['bench', `t${i % 7}`],
    raw: { key: `flag-${i}`, variations: [{ value: true }, { value: false }], customProperties: {}, _version: version },
  };
}

function environmentRows(i: number, environments: number): FlagEnvironmentRow[] {
  return Array.from({ length: environments }, (_, e) => ({
    projectKey: 'bench',
    flagKey: `flag-${i}`,
    environmentKey: `env-${e}`,
    on: (i + e) % 2 === 0,
    archived: false,
    lastModified: new Date(1_700_000_000_000 + i * 10 + e),
    version: 1,
    raw: { on: (i + e) % 2 === 0, salt: 'x'.repeat(32), _summary: { prerequisites: 0 } },
  }));
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('set DATABASE_URL to a server where a scratch database may be created');
  const flags = Number(process.argv[2] ?? 5000);
  const environments = Number(process.argv[3] ?? 5);
  const db = await createIsolatedDatabase(adminUrl, 'bench');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const passes: Array<[string, (i: number) => number | null]> = [
      ['first pass (inserts)', () => 1],
      ['unchanged re-sync', () => 1],
      ['10% changed, 10% gone', (i) => (i % 10 === 0 ? null : i % 10 === 1 ? 2 : 1)],
    ];
    console.log(`${flags} flags x ${environments} environments, pages of ${PAGE} flags`);
    for (const [label, versionOf] of passes) {
      const begun = await beginRun(pool, {
        connectionId: 'bench',
        workflowId: 'bench',
        workflowRunId: `bench-${label}`,
        trigger: 'bench',
      });
      if (!('runId' in begun)) throw new Error('a bench run is already running');
      const key: StreamKey = { runId: begun.runId, connectionId: 'bench', stream: 'flags', scope: 'bench' };
      const started = process.hrtime.bigint();
      await openStream(pool, key);
      for (let from = 0; from < flags; from += PAGE) {
        const indexes = Array.from({ length: Math.min(PAGE, flags - from) }, (_, k) => from + k).filter(
          (i) => versionOf(i) !== null,
        );
        await writePage(pool, key, {
          cursor: `${from + PAGE}`,
          requests: 1,
          writes: [
            { table: 'flags', rows: indexes.map((i) => flagRow(i, versionOf(i) ?? 1)) },
            { table: 'flag_environments', rows: indexes.flatMap((i) => environmentRows(i, environments)) },
          ],
        });
      }
      const counts = await completeStream(pool, key);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      await finishRun(pool, begun.runId, { status: 'succeeded' });
      const rows = flags * (1 + environments);
      console.log(
        `${label.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms  ${((rows / ms) * 1000).toFixed(0).padStart(7)} rows/s  ` +
          JSON.stringify(counts),
      );
    }
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
