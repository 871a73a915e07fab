// `npx tsx scripts/history-length.ts [--projects P --environments E --flags F]`
// Runs one full sync of a simulated account through the real stack (a Temporal dev server, Postgres from
// DATABASE_URL or embedded, the simulator over HTTP, an in-process worker) and prints the parent
// workflow's history length and event types. Replay fixtures: scripts/record-histories.ts.
import { parseArgs } from 'node:util';
import { startSyncHarness } from '../test/support/sync-harness';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      projects: { type: 'string', default: '20' },
      environments: { type: 'string', default: '5' },
      flags: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
    },
  });
  const sizes = {
    seed: Number(values.seed),
    projects: Number(values.projects),
    environments: Number(values.environments),
    flags: Number(values.flags),
  };
  const h = await startSyncHarness('history', sizes);
  try {
    const started = Date.now();
    const result = await h.runSync();
    const handle = h.stack.client.workflow.getHandle(`ldsync-${h.connectionId}`);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const byType = new Map<string, number>();
    for (const e of events) {
      const type = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'unknown';
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    console.log(
      JSON.stringify({
        sizes,
        status: result.status,
        syncMs: Date.now() - started,
        parentHistoryEvents: events.length,
        byType: Object.fromEntries([...byType].sort((a, b) => b[1] - a[1])),
      }),
    );
  } finally {
    await h.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
