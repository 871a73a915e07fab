// Records the replay fixtures of the current workflow code (test/fixtures/histories): one real sync
// against the simulator (seed 1, 2 projects × 2 environments × 8 flags), its parent history and one
// child's. Usage: `npx tsx scripts/record-histories.ts <suffix>` writes sync-connection-<suffix>.json
// and sync-flag-statuses-<suffix>.json and adds them to workflow-ids.json. Record a new pair after a
// patched workflow change; never re-record an old pair (it is what running syncs replay).
import fs from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { format } from 'prettier';
import { syncWorkflowId } from '../src/shared';
import { startSyncHarness } from '../test/support/sync-harness';

async function main(): Promise<void> {
  const [suffix, flag] = process.argv.slice(2);
  if (!suffix || !/^v\d+$/.test(suffix)) throw new Error('usage: record-histories.ts v<N> [--replace]');
  const dir = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
  const taken = await fs.stat(path.join(dir, `sync-connection-${suffix}.json`)).then(
    () => true,
    () => false,
  );
  // A released version's pair is what running syncs replay: only an unreleased one may be replaced.
  if (taken && flag !== '--replace') throw new Error(`${suffix} is recorded already; --replace only if unreleased`);
  const harness = await startSyncHarness('history', { seed: 1, projects: 2, environments: 2, flags: 8 });
  try {
    const result = await harness.runSync();
    if (result.status !== 'succeeded') throw new Error(`the recorded sync ended ${result.status}`);
    const parentId = syncWorkflowId(harness.connectionId);
    const [project] = harness.sim.account.projects;
    const environment = project?.environments[0];
    if (!project || !environment) throw new Error('the simulated account has no environment');
    const childId = `${parentId}/flag-statuses/${project.key}/${environment.key}`;
    const ids = JSON.parse(await fs.readFile(path.join(dir, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
    for (const [name, workflowId] of [
      [`sync-connection-${suffix}.json`, parentId],
      [`sync-flag-statuses-${suffix}.json`, childId],
    ] as const) {
      const history = await harness.stack.client.workflow.getHandle(workflowId).fetchHistory();
      await fs.writeFile(path.join(dir, name), await format(historyToJSON(history), { parser: 'json' }));
      ids[name] = workflowId;
      console.log(`${name}: ${history.events?.length ?? 0} events of ${workflowId}`);
    }
    await fs.writeFile(path.join(dir, 'workflow-ids.json'), `${JSON.stringify(ids, null, 2)}\n`);
  } finally {
    await harness.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
