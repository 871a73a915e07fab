// Secrets under faults (issue 9, item 7): after the fault and bad-input suites, the token (and every
// other token the suites stored), SDK keys, mobile keys, `_pubnub` data and the encryption keys appear
// nowhere: not in workflow histories (read again here, through the client, from the run's Temporal
// server), worker logs, CLI output, or Postgres outside the encrypted column. One test over everything
// the suites produced: each suite file scans its own databases before dropping them and leaves its
// logs, CLI output, task queues, secrets and findings in $TMPDIR/ldsync-fault-artifacts/<run>/
// (test/support/fault-suite.ts); this file runs after them (files run in name order) and looks at all
// of it together, with every suite's secrets. It also prints the suites' scenario tables as one.
//
// Reproduce (the suites and this test in one run):
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- \
//     test/bad-input.test.ts test/faults- test/secrets-under-faults.test.ts --test-timeout=900000
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { connectClient, type TemporalClient } from '../src/temporal/connection';
import { historyText } from './support/fault-harness';
import { artifactsDir, DECODED_INPUT, scanLedger, SUITES, type SuiteSummary } from './support/fault-suite';

let temporal: TemporalClient | undefined;
before(async () => {
  if (process.env.TEMPORAL_ADDRESS) temporal = await connectClient();
});
after(async () => {
  await temporal?.close();
});

async function readSummaries(dir: string): Promise<Map<string, SuiteSummary>> {
  const out = new Map<string, SuiteSummary>();
  for (const suite of SUITES) {
    try {
      out.set(suite, JSON.parse(await fs.readFile(path.join(dir, `${suite}.summary.json`), 'utf8')) as SuiteSummary);
    } catch {
      // not written (yet)
    }
  }
  return out;
}

it('no secret in anything the fault and bad-input suites produced', { timeout: 600_000 }, async () => {
  const dir = artifactsDir();
  let summaries = await readSummaries(dir);
  assert.ok(
    summaries.size > 0,
    `no suite left artifacts in ${dir}: run this file in the same \`npm run test:only\` as the suites ` +
      '(test/bad-input.test.ts and test/faults-*.test.ts)',
  );
  // Files run one at a time in name order on CI's 2 cores; with more cores, wait for the others.
  const deadline = Date.now() + 240_000;
  while (summaries.size < SUITES.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2_000));
    summaries = await readSummaries(dir);
  }
  const missing = SUITES.filter((s) => !summaries.has(s));

  const secrets = new Set<string>();
  for (const s of summaries.values()) for (const x of s.secrets) secrets.add(x);

  // Histories again, through the client, for every task queue of every suite on the shared server.
  assert.ok(temporal, 'TEMPORAL_ADDRESS names the run’s Temporal server');
  const histories: string[] = [];
  for (const s of summaries.values()) {
    for (const queue of s.taskQueues) {
      for await (const wf of temporal.client.workflow.list({ query: `TaskQueue = "${queue}"` })) {
        const history = await temporal.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        histories.push(historyText(history));
      }
    }
  }
  const logs: string[] = [];
  const cliOutput: string[] = [];
  for (const suite of summaries.keys()) {
    logs.push(await fs.readFile(path.join(dir, `${suite}.logs.txt`), 'utf8'));
    cliOutput.push(await fs.readFile(path.join(dir, `${suite}.cli.txt`), 'utf8'));
  }
  const leaks = [
    ...[...summaries.values()].flatMap((s) => s.leaks.map((l) => `${s.suite}: ${l}`)),
    ...scanLedger(
      {
        'workflow histories (all suites)': histories.join('\n'),
        'worker logs (all suites)': logs.join('\n'),
        'CLI output (all suites)': cliOutput.join('\n'),
      },
      secrets,
    ),
  ];

  const rows = [...summaries.values()].flatMap((s) => s.report);
  const table = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.status} | ${r.counts} | ${r.requests} | ${r.seconds.toFixed(1)} s |${r.note ? ` ${r.note}` : ''}`,
  );
  console.log(
    ['| scenario | status | counts vs reference | requests (counted/received) | time | note', ...table].join('\n'),
  );
  const databaseChars = [...summaries.values()].reduce((n, s) => n + s.databaseChars, 0);
  console.log(
    `secrets under faults: ${secrets.size} secrets looked for in ${histories.length} histories, ` +
      `${logs.join('\n').split('\n').length} log lines, ${cliOutput.join('').split('$ ldsync').length - 1} CLI calls, ` +
      `${databaseChars} characters of Postgres rows; ${leaks.length} found`,
  );

  assert.deepEqual(missing, [], `every suite ran to its end and left its artifacts (missing: ${missing.join(', ')})`);
  assert.ok(histories.length >= 20, `histories were read (${histories.length})`);
  assert.match(histories.join('\n'), DECODED_INPUT, 'decoded payloads are searched');
  assert.ok(cliOutput.join('').split('$ ldsync').length > 10, 'CLI output was kept');
  assert.ok(secrets.size > 20, `secrets to look for (${secrets.size})`);
  assert.deepEqual(leaks, []);
});
