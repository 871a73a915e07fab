// Operator stories in the Temporal Web UI, in a real Chromium (Debian's, driven by playwright-core),
// against the dev server's UI, a real worker, real Postgres and simulated LaunchDarkly accounts:
// start a sync from the Start Workflow form, cancel one mid-run, read a bad-token failure, and read
// a rate-limited activity's heartbeat details. Skipped (saying why) only where no Chromium exists.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Browser, Page } from 'playwright-core';
import { startSyncWorkflow } from '../src/temporal/sync-start';
import { dataDir, loadEnv } from '../src/config';
import { searchAttributes, SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncProgress } from '../src/shared';
import { progressQuery } from '../workflows/messages';
import {
  browserSkipReason,
  historyEvents,
  launchBrowser,
  operatorStack,
  streamStatuses,
  uiUrl,
  workflowPageUrl,
  uniqueId,
  type OperatorStack,
} from './operator-helpers';
import { waitFor } from './support/wait';

const skip = browserSkipReason() ?? undefined;
const START_ID = uniqueId('ui-start');
const CANCEL_ID = uniqueId('ui-cancel');
const BAD_TOKEN_ID = uniqueId('ui-bad-token');
const RATE_LIMITED_ID = uniqueId('ui-rate-limited');
const UNREACHABLE_ID = uniqueId('ui-unreachable');

/** Screenshots each story keeps, for a person to look at after the run (git-ignored). */
const ARTIFACTS = path.join(dataDir(loadEnv()), 'test-artifacts', 'ui');

async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

let ops: OperatorStack;
let browser: Browser;

before(async () => {
  if (skip) return;
  ops = await operatorStack('operator-ui');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ops?.cleanup();
});

/** A page with waits long enough for a UI served from a busy machine. */
async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(60_000);
  return page;
}

/** The status badge at the top of a workflow page (its text is e.g. `Completed`, shown upper-case). */
async function waitForStatus(page: Page, status: RegExp): Promise<void> {
  await page.getByTestId('execution-status').filter({ hasText: status }).waitFor({ timeout: 120_000 });
}

/** Reloads `url` until `check` finds what it looks for: the UI shows a snapshot per load. */
async function reloadUntil(page: Page, url: string, what: string, check: () => Promise<string | undefined>) {
  let found: string | undefined;
  await waitFor(
    async () => {
      await page.goto(url);
      found = await check();
      return found !== undefined;
    },
    120_000,
    what,
  );
  return found as string;
}

/** The workflow's current details as the User Metadata tab renders them (in a frame of their own). */
async function currentDetails(page: Page, expected: string): Promise<string> {
  let found = '';
  await waitFor(
    async () => {
      for (const frame of page.frames()) {
        const text = await frame.locator('body').innerText();
        if (text.includes(expected)) found = text;
      }
      return found !== '';
    },
    60_000,
    `current details showing "${expected}"`,
  );
  return found;
}

async function runOf(workflowId: string) {
  const { rows } = await ops.pool.query<{
    id: string;
    status: string;
    finished_at: Date | null;
    error_type: string | null;
    error_message: string | null;
  }>('SELECT id, status, finished_at, error_type, error_message FROM ldsync.sync_runs WHERE workflow_id = $1', [
    workflowId,
  ]);
  assert.equal(rows.length, 1, `one run recorded for ${workflowId}`);
  return rows[0] as NonNullable<(typeof rows)[0]>;
}

test('an operator starts a sync from the Start Workflow form and watches it complete', { skip }, async () => {
  const sim = await ops.simulator();
  await ops.connect(START_ID, sim);
  const workflowId = `ui-started-${Date.now()}`;
  const page = await newPage();
  await page.goto(`${uiUrl()}/namespaces/${ops.stack.namespace}/workflows/start-workflow`);
  await page.getByTestId('workflowId').fill(workflowId);
  await page.getByTestId('taskQueue').fill(ops.taskQueue);
  await page.getByTestId('workflowType').fill('syncConnection');
  await page.locator('[aria-label="Data"][contenteditable="true"]').fill(`{"connectionId": "${START_ID}"}`);
  // Leaving the editor reformats the JSON and moves the button; click only once the layout has settled.
  await page.getByRole('heading', { name: 'Start Workflow' }).click();
  await page.getByRole('button', { name: 'Start Workflow' }).click();
  await page.getByRole('link', { name: 'Workflow started successfully' }).click();
  await page.waitForURL((url) => url.pathname.includes(`/workflows/${workflowId}/`));
  await waitForStatus(page, /completed/i);

  // The UI's run is a real sync: recorded as succeeded, with the rows the account holds.
  const run = await runOf(workflowId);
  assert.equal(run.status, 'succeeded');
  const { rows } = await ops.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM launchdarkly.flags WHERE connection_id = $1',
    [START_ID],
  );
  assert.equal(rows[0]?.n, sim.counts().flags);
  await page.close();
});

test(
  'an operator cancels a running sync from the UI; it stops cleanly and is recorded as cancelled',
  { skip },
  async () => {
    // A tight rate limit keeps the sync mid-run (some pages written, activities waiting) for minutes.
    const sim = await ops.simulator({ rateLimit: { globalPerWindow: 3, windowMs: 40_000 } });
    await ops.connect(CANCEL_ID, sim);
    const handle = await startSyncWorkflow(ops.client, CANCEL_ID, ops.taskQueue);
    await waitFor(
      async () => {
        const progress: SyncProgress = await handle.query(progressQuery);
        return Object.values(progress.streams).some((s) => s.rows > 0);
      },
      60_000,
      'the sync to have written rows',
    );

    const page = await newPage();
    await page.goto(workflowPageUrl(ops.stack.namespace, handle.workflowId, handle.firstExecutionRunId));
    await waitForStatus(page, /running/i);
    await page.getByRole('button', { name: 'Request Cancellation' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await waitForStatus(page, /cancel+ed/i);
    // Why it ended, on the page itself: the current details say it was cancelled, and after what.
    await page.reload();
    await page.getByText('User Metadata', { exact: true }).first().click();
    await currentDetails(page, 'every activity and child workflow it started had stopped');
    await screenshot(page, 'cancelled-run');
    await page.close();

    // Every activity that was asked to stop acknowledged it (WAIT_CANCELLATION_COMPLETED): it heartbeat,
    // saw the cancellation and ended as cancelled; none had to be timed out by its heartbeat timeout.
    const events = await historyEvents(handle);
    const cancelRequested = events.filter((e) => e.activityTaskCancelRequestedEventAttributes);
    const cancelled = new Set(
      events.map((e) => e.activityTaskCanceledEventAttributes?.scheduledEventId?.toString()).filter(Boolean),
    );
    const ended = new Set(
      events
        .map(
          (e) =>
            e.activityTaskCompletedEventAttributes?.scheduledEventId ??
            e.activityTaskFailedEventAttributes?.scheduledEventId ??
            e.activityTaskCanceledEventAttributes?.scheduledEventId,
        )
        .filter((id) => id !== undefined && id !== null)
        .map(String),
    );
    assert.ok(cancelRequested.length > 0, 'the sync had activities running when it was cancelled');
    for (const e of cancelRequested) {
      const id = String(e.activityTaskCancelRequestedEventAttributes?.scheduledEventId);
      assert.ok(ended.has(id), `activity ${id} ended`);
    }
    assert.ok(cancelled.size > 0, 'running activities ended as cancelled');
    assert.equal(events.filter((e) => e.activityTaskTimedOutEventAttributes).length, 0, 'no activity timed out');
    assert.ok(events.some((e) => e.workflowExecutionCanceledEventAttributes));

    // The run is recorded as cancelled and no stream is left `running`.
    const run = await runOf(handle.workflowId);
    assert.equal(run.status, 'cancelled');
    assert.ok(run.finished_at);
    const statuses = await streamStatuses(ops.pool, run.id);
    assert.equal(statuses.running ?? 0, 0, `streams: ${JSON.stringify(statuses)}`);
    assert.ok((statuses.cancelled ?? 0) > 0, `streams: ${JSON.stringify(statuses)}`);

    // What was written is consistent: every data row is accounted for by a committed page of this run.
    const { rows: counted } = await ops.pool.query<{ table_name: string; inserted: number }>(
      `SELECT t.key AS table_name, sum((t.value->>'inserted')::int)::int AS inserted
     FROM ldsync.sync_run_streams s, jsonb_each(s.table_counts) t WHERE s.run_id = $1 GROUP BY t.key`,
      [run.id],
    );
    assert.ok(counted.length > 0);
    for (const { table_name, inserted } of counted) {
      const { rows } = await ops.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM launchdarkly.${table_name} WHERE connection_id = $1`,
        [CANCEL_ID],
      );
      assert.equal(rows[0]?.n, inserted, `rows of launchdarkly.${table_name}`);
    }
  },
);

test('a sync with a bad token fails once as invalid_credentials, and the UI says what to do', { skip }, async () => {
  const sim = await ops.simulator();
  await ops.connect(BAD_TOKEN_ID, sim, 'api-00000000-revoked-token');
  const handle = await startSyncWorkflow(ops.client, BAD_TOKEN_ID, ops.taskQueue);
  const failure = await handle.result().then(
    () => assert.fail('the sync succeeded with a bad token'),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof WorkflowFailedError);
  assert.ok(failure.cause instanceof ApplicationFailure);
  assert.equal(failure.cause.type, 'invalid_credentials');
  assert.match(failure.cause.message, /create a Reader access token/);

  // Nothing retried: every activity ran exactly one attempt, and the workflow was not run again.
  const events = await historyEvents(handle);
  const attempts = events.flatMap((e) =>
    e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 0] : [],
  );
  assert.ok(attempts.length > 0);
  assert.deepEqual(
    attempts.filter((a) => a !== 1),
    [],
  );
  const failed = events.filter((e) => e.activityTaskFailedEventAttributes);
  assert.ok(failed.length > 0);
  for (const e of failed) {
    const info = e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo;
    assert.deepEqual([info?.type, info?.nonRetryable], ['invalid_credentials', true]);
  }
  const description = await handle.describe();
  assert.equal(description.status.name, 'FAILED');
  assert.equal(description.runId, handle.firstExecutionRunId);
  assert.equal((await runOf(handle.workflowId)).error_type, 'invalid_credentials');

  // The UI shows the failure's type and its message, which says what to do.
  const page = await newPage();
  await page.goto(workflowPageUrl(ops.stack.namespace, handle.workflowId, handle.firstExecutionRunId));
  await waitForStatus(page, /failed/i);
  // The result panel shows the start of the failure; maximized, it shows all of it.
  await page
    .locator('button', { has: page.locator('title', { hasText: 'Maximize' }) })
    .first()
    .click();
  const shown = page.locator('[aria-label="Result"]').filter({ hasText: 'applicationFailureInfo' }).last();
  await shown.waitFor();
  const text = await shown.innerText();
  assert.match(text, /"type": "invalid_credentials"/);
  assert.match(text, /"nonRetryable": true/);
  assert.match(text, /the token was rejected \(401\): create a Reader access token in LaunchDarkly/);
  assert.doesNotMatch(text, /api-00000000-revoked-token/, 'the token never reaches Temporal');
  await page.close();
});

test('a rate-limited sync shows readable heartbeat details on its pending activity', { skip }, async () => {
  // Two requests per 40 s for the whole account: activities soon wait for the rate limit, and wait
  // longer than the worker's heartbeat throttle (0.8 x the 30 s heartbeat timeout), so the details the
  // server holds, and the UI shows, are sent while the wait lasts.
  const sim = await ops.simulator({ rateLimit: { globalPerWindow: 2, windowMs: 40_000 } });
  await ops.connect(RATE_LIMITED_ID, sim);
  const handle = await startSyncWorkflow(ops.client, RATE_LIMITED_ID, ops.taskQueue);

  const page = await newPage();
  const pendingUrl = `${workflowPageUrl(ops.stack.namespace, handle.workflowId, handle.firstExecutionRunId).replace(/\/history$/, '')}/pending-activities`;
  const details = await reloadUntil(page, pendingUrl, 'heartbeat details with a rate-limit wait', async () => {
    const heartbeats = page.locator('[data-language="json"]').filter({ hasText: '"stream"' });
    await heartbeats.first().waitFor();
    const texts = await heartbeats.allInnerTexts();
    return texts.find((t) => /"kind": "rate_limit"/.test(t) && /"until": "\d{4}-\d\d-\d\dT/.test(t));
  });
  // What an operator reads: which stream and scope, where it is, and until when it waits.
  assert.match(details, /"stream": "(projects|tags|teams|team_maintainers|environments|flags|flag_statuses)"/);
  assert.match(details, /"scope": "/);
  assert.match(details, /"pages": \d+/);
  assert.match(details, /"rows": \d+/);
  assert.match(details, /"requests": \d+/);
  // The card also shows which attempt this is.
  assert.match(await page.locator('body').innerText(), /Attempt/);
  await screenshot(page, 'rate-limited-pending-activity');

  // The Event History's first page shows the run's activities, not a stream of progress signals.
  await page.goto(workflowPageUrl(ops.stack.namespace, handle.workflowId, handle.firstExecutionRunId));
  await page
    .getByText(/syncProjects/)
    .first()
    .waitFor();
  const history = await page.locator('body').innerText();
  assert.match(history, /syncTags|syncTeams|syncEnvironments/);
  assert.doesNotMatch(history, /streamProgress/);
  await screenshot(page, 'running-event-history');
  await page.close();

  sim.configure({ rateLimit: { globalPerWindow: 100_000 } });
  await handle.cancel();
  await assert.rejects(handle.result());
});

test('a failed run appears under the Failures filter with its reason', { skip }, async () => {
  // Nothing listens on port 9: every request is refused, so every stream fails and the run is failed.
  const sim = await ops.simulator();
  await ops.connect(UNREACHABLE_ID, sim);
  await ops.pool.query('UPDATE ldsync.connections SET base_url = $1 WHERE id = $2', [
    'http://127.0.0.1:9',
    UNREACHABLE_ID,
  ]);
  const handle = await ops.client.workflow.start(SYNC_WORKFLOW_TYPE, {
    taskQueue: ops.taskQueue,
    workflowId: syncWorkflowId(UNREACHABLE_ID),
    args: [{ connectionId: UNREACHABLE_ID, options: { maxAttempts: 1 } }],
    typedSearchAttributes: [{ key: searchAttributes.connectionId, value: UNREACHABLE_ID }],
  });
  const failure = await handle.result().then(
    () => assert.fail('a sync of an unreachable account succeeded'),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof WorkflowFailedError);
  assert.ok(failure.cause instanceof ApplicationFailure);
  assert.equal(failure.cause.type, 'upstream_unavailable');
  assert.equal((await runOf(handle.workflowId)).status, 'failed');

  // The saved query the README shows finds it too.
  await waitFor(
    async () => {
      for await (const wf of ops.client.workflow.list({
        query: `LdsyncRunStatus IN ("partial", "failed", "cancelled") AND WorkflowId = "${handle.workflowId}"`,
      })) {
        if (wf.runId === handle.firstExecutionRunId) return true;
      }
      return false;
    },
    60_000,
    'LdsyncRunStatus to find the failed run',
  );

  const page = await newPage();
  const failures = `${uiUrl()}/namespaces/${ops.stack.namespace}/workflows?query=${encodeURIComponent(
    `ExecutionStatus="Failed" AND LdsyncConnectionId="${UNREACHABLE_ID}"`,
  )}`;
  await reloadUntil(page, failures, 'the failed run in the Failures list', async () => {
    const link = page.getByRole('link', { name: handle.workflowId });
    await link.first().waitFor({ timeout: 10_000 });
    return 'listed';
  });
  await screenshot(page, 'failures-filter');
  await page.getByRole('link', { name: handle.workflowId }).first().click();
  await waitForStatus(page, /failed/i);
  // Its reason: the first failure's type and what to do, in the current details and in the result.
  await page.getByText('User Metadata', { exact: true }).first().click();
  const text = await currentDetails(page, 'First failure:');
  assert.match(text, /upstream_unavailable/);
  assert.match(text, /What to do:/);
  await screenshot(page, 'failed-run');
  await page.close();
});
