// `npx tsx scripts/history-length.ts [--projects P --environments E --flags F] [--record DIR]`
// Runs one full sync of a simulated account through the real stack (a Temporal dev server, Postgres from
// DATABASE_URL or embedded, the simulator over HTTP, an in-process worker) and prints the parent
// workflow's history length and event types. With --record, writes the parent's and one child's history
// as JSON for test/replay.test.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startSyncHarness } from '../test/support/sync-harness';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      projects: { type: 'string', default: '20' },
      environments: { type: 'string', default: '5' },
      flags: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      record: { type: 'string' },
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
    if (values.record) {
      const dir = values.record;
      await fs.mkdir(dir, { recursive: true });
      const childId = `ldsync-${h.connectionId}/flag-statuses/${firstProject(h)}`;
      const child = await h.stack.client.workflow.getHandle(childId).fetchHistory();
      await fs.writeFile(path.join(dir, 'parent.json'), historyToJSON(history));
      await fs.writeFile(path.join(dir, 'child.json'), historyToJSON(child));
      await fs.writeFile(
        path.join(dir, 'ids.json'),
        JSON.stringify({ parent: `ldsync-${h.connectionId}`, child: childId }, null, 2),
      );
    }
  } finally {
    await h.close();
  }
}

function firstProject(h: Awaited<ReturnType<typeof startSyncHarness>>): string {
  const account = h.sim.account;
  const project = account.projects[0];
  if (!project) throw new Error('no project');
  return `${project.key}/${project.environments[0]?.key}`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
