// Prints how fast the stream writer stores a flags pass: a first pass (all inserts), an unchanged
// re-sync (no row rewritten), and a pass where 10% of flags changed and 10% vanished.
//   DATABASE_URL=postgres://... npx tsx scripts/bench-db-writer.ts [flags=5000] [environments=5]
import pg from 'pg';
import { completeStream, openStream, writePage, type StreamKey } from '../src/db';
import { beginRun, finishRun } from '../src/db/runs';
import { flags as flagsStream } from '../src/streams';
import { createIsolatedDatabase } from '../test/support/test-database';

const PAGE = 100;
const { flagsStream: stream, FlagSchema } = flagsStream;

/** A flag as the API sends it, parsed by the stream's own schema. */
function flagItem(i: number, version: number, environments: number): flagsStream.Flag {
  return FlagSchema.parse({
    key: `flag-${i}`,
    name: `Flag ${i}`,
    description: version > 1 ? `changed in version ${version}` : null,
    kind: 'boolean',
    temporary: i % 3 === 0,
    archived: false,
    deprecated: false,
    creationDate: 1_700_000_000_000 + i,
    maintainerId: `member-${i % 17}`,
    maintainerTeamKey: `team-${i % 5}`,
    tags: ['bench', `t${i % 7}`],
    variations: [{ value: true }, { value: false }],
    customProperties: {},
    _version: version,
    environments: Object.fromEntries(
      Array.from({ length: environments }, (_, e) => [
        `env-${e}`,
        {
          on: (i + e) % 2 === 0,
          archived: false,
          lastModified: 1_700_000_000_000 + i * 10 + e,
          version: 1,
          salt: 'x'.repeat(32),
          _summary: { prerequisites: 0 },
        },
      ]),
    ),
  });
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
      const params = { projectKey: 'bench', environmentKeys: [] };
      const scope = { scopeValues: ['bench'] };
      const started = process.hrtime.bigint();
      await openStream(pool, key);
      for (let from = 0; from < flags; from += PAGE) {
        const indexes = Array.from({ length: Math.min(PAGE, flags - from) }, (_, k) => from + k).filter(
          (i) => versionOf(i) !== null,
        );
        const items = indexes.map((i) => flagItem(i, versionOf(i) ?? 1, environments));
        await writePage(pool, key, {
          ...scope,
          cursor: `${from + PAGE}`,
          requests: 1,
          writes: stream.tables.map((t) => ({ spec: t.spec, records: items.flatMap((f) => t.records(f, params)) })),
        });
      }
      const counts = await completeStream(pool, key, { ...scope, tables: stream.tables.map((t) => t.spec) });
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
