// Workflow-level tests of syncConnection's orchestration, with stubbed activities on the run's real
// Temporal server (TestWorkflowEnvironment over it): isolation and `partial`, a fatal credential
// failure, not-run dependencies, continue-as-new carrying state, bad input, and cancels at every stage.
// Seconds each; the real-stack tests cover the activities themselves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Context, ApplicationFailure } from '@temporalio/activity';
import {
  ApplicationFailure as ClientApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { FinishRunInput, RunRef } from '../activities/types';
import {
  emptyRowCounts,
  SYNC_WORKFLOW_TYPE,
  type PlannedStream,
  type StreamName,
  type StreamSummary,
  type SyncResult,
} from '../src/shared';
import { CATALOG, SYNC_PLAN } from '../src/streams';
import { WORKFLOWS_PATH } from '../src/temporal/worker';
import { testStack, uniqueTaskQueue, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

type Behaviour = { ms?: number; fail?: { type: string; nonRetryable?: boolean } };

/** Activities that take their time (heartbeating, so a cancel reaches them) and log what ran when. */
class StubAccount {
  readonly log: Array<{ event: 'start' | 'end' | 'cancelled'; what: string; at: number }> = [];
  finishes: FinishRunInput[] = [];
  projects = ['p1', 'p2'];
  environments = ['e1', 'e2'];
  teams = ['t1', 't2'];
  beginMs = 0;
  /** what beginRun hands the workflow; undefined: a worker from before the catalog plan (the fixed fan-out) */
  plan: PlannedStream[] | undefined = [...SYNC_PLAN];
  private readonly behaviour = new Map<string, Behaviour>();

  /** `stream` or `stream:scope` */
  on(what: string, b: Behaviour): this {
    this.behaviour.set(what, b);
    return this;
  }

  running(): string[] {
    const open = new Map<string, number>();
    for (const e of this.log) open.set(e.what, (open.get(e.what) ?? 0) + (e.event === 'start' ? 1 : -1));
    return [...open].filter(([, n]) => n > 0).map(([w]) => w);
  }

  activities(): Activities {
    const scope = async <T extends object>(stream: StreamName, key: string, extra: T): Promise<StreamSummary & T> => {
      const what = key ? `${stream}:${key}` : stream;
      const b = this.behaviour.get(what) ?? this.behaviour.get(stream) ?? {};
      this.log.push({ event: 'start', what, at: Date.now() });
      try {
        const until = Date.now() + (b.ms ?? 20);
        while (Date.now() < until) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      } catch (err) {
        this.log.push({ event: 'cancelled', what, at: Date.now() });
        throw err;
      }
      this.log.push({ event: 'end', what, at: Date.now() });
      if (b.fail) throw ApplicationFailure.create({ ...b.fail, message: `${what} failed (stub)` });
      return { stream, scope: key, status: 'succeeded', pages: 1, requests: 1, counts: emptyRowCounts(), ...extra };
    };
    const stub = {
      beginRun: async () => {
        await new Promise((r) => setTimeout(r, this.beginMs));
        return { runId: 'run-1', resumed: false, searchAttributes: [], ...(this.plan ? { plan: this.plan } : {}) };
      },
      finishRun: async (input: FinishRunInput) => {
        this.log.push({ event: 'start', what: 'finishRun', at: Date.now() });
        this.finishes.push(input);
        this.log.push({ event: 'end', what: 'finishRun', at: Date.now() });
      },
      syncProjects: () => scope('projects', '', { keys: this.projects }),
      syncTags: () => scope('tags', '', {}),
      syncTeams: () => scope('teams', '', { keys: this.teams }),
      syncTeamMaintainers: (ref: RunRef & { teamKey: string }) => scope('team_maintainers', ref.teamKey, {}),
      syncEnvironments: (ref: RunRef & { projectKey: string }) =>
        scope('environments', ref.projectKey, { keys: this.environments }),
      syncFlags: (ref: RunRef & { projectKey: string }) => scope('flags', ref.projectKey, {}),
      syncFlagStatuses: (ref: RunRef & { projectKey: string; environmentKey: string }) =>
        scope('flag_statuses', `${ref.projectKey}/${ref.environmentKey}`, {}),
    };
    // A stream added to the catalog runs here too, as a plain scope that succeeds (keys: none).
    const stubbed = stub as unknown as Record<string, unknown>;
    for (const definition of Object.values(CATALOG)) {
      if (definition.activity in stubbed) continue;
      stubbed[definition.activity] = (input: Record<string, unknown>) =>
        scope(definition.name, scopeOfInput(input), definition.fanOut ? { keys: [] } : {});
    }
    return stub as unknown as Activities;
  }
}

// Every behaviour holds on both fan-outs: the catalog plan new runs take, and version 2's fixed fan-out
// that runs begun before it (or served by an older worker's beginRun) finish on.
const FAN_OUTS = [
  { name: 'catalog plan', plan: (): PlannedStream[] | undefined => [...SYNC_PLAN] },
  { name: 'fixed fan-out of version 2', plan: (): PlannedStream[] | undefined => undefined },
];

function accountFor(mode: (typeof FAN_OUTS)[number]): StubAccount {
  const account = new StubAccount();
  account.plan = mode.plan();
  return account;
}

describe('syncConnection orchestration (stubbed activities)', () => {
  let stack: TestStack;
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;

  before(async () => {
    stack = await testStack('orchestration');
    env = await TestWorkflowEnvironment.createFromExistingServer({
      address: stack.temporalAddress,
      namespace: stack.namespace,
    });
    bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  });
  after(async () => {
    await env?.teardown();
    await stack?.cleanup();
  });

  /** Runs one workflow against the stubs; `during` may act on it while it runs. */
  async function run(
    account: StubAccount,
    args: Record<string, unknown>,
    during?: (handle: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>,
  ): Promise<{ result?: SyncResult; error?: unknown; history?: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> }> {
    const taskQueue = uniqueTaskQueue('orchestration');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: stack.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: account.activities(),
      maxHeartbeatThrottleInterval: '200ms',
    });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(SYNC_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `orchestration-${taskQueue}`,
        args: [{ connectionId: 'stub', ...args }],
      });
      if (during) await during(handle);
      try {
        return { result: (await handle.result()) as SyncResult, history: await handle.fetchHistory() };
      } catch (error) {
        return { error };
      }
    });
  }

  for (const mode of FAN_OUTS) {
    describe(mode.name, () => {
      it('isolates a failing stream: the run is partial and lists the failed scope', async () => {
        const account = accountFor(mode).on('tags', { fail: { type: 'upstream_unavailable' } });
        const { result } = await run(account, { options: { maxAttempts: 1 } });
        assert.equal(result?.status, 'partial');
        assert.equal(result?.streams.tags.state, 'failed');
        assert.equal(result?.streams.flags.state, 'succeeded');
        assert.equal(result?.streams.flag_statuses.scopesDone, 4);
        assert.equal(account.finishes.length, 1);
        assert.equal(account.finishes[0]?.status, 'partial');
        assert.deepEqual(
          account.finishes[0]?.failures.map((f) => [f.stream, f.type]),
          [['tags', 'upstream_unavailable']],
        );
      });

      it('fails the workflow with the first cause when nothing could be read', async () => {
        const account = accountFor(mode)
          .on('projects', { fail: { type: 'upstream_unavailable' } })
          .on('tags', { fail: { type: 'upstream_unavailable' } })
          .on('teams', { fail: { type: 'upstream_unavailable' } });
        const { error } = await run(account, { options: { maxAttempts: 2 } });
        const failure = appFailure(error);
        assert.equal(failure.type, 'upstream_unavailable');
        assert.match(failure.message, /gave up after 2 activity attempts/);
        assert.match(failure.message, /What to do:/);
        assert.equal(account.finishes[0]?.status, 'failed');
        // Streams that depend on projects and teams never ran: no scope of theirs is recorded as failed.
        assert.deepEqual(account.finishes[0]?.failures.map((f) => f.stream).sort(), ['projects', 'tags', 'teams']);
      });

      it('marks dependent streams not run, and never counts more scopes done than expected', async () => {
        const account = accountFor(mode).on('projects', { fail: { type: 'upstream_unavailable' } });
        const { result } = await run(account, { options: { maxAttempts: 1 } });
        assert.equal(result?.status, 'partial');
        for (const s of ['environments', 'flags', 'flag_statuses'] as const) {
          assert.equal(result?.streams[s].state, 'not_run', s);
        }
        for (const [name, s] of Object.entries(result?.streams ?? {})) {
          assert.ok(s.scopesDone <= s.scopesTotal, `${name}: ${s.scopesDone}/${s.scopesTotal}`);
        }
      });

      it('a failed scope marks the scopes that take all of its keys as not run, and nothing below it', async () => {
        const account = accountFor(mode).on('environments:p1', { fail: { type: 'upstream_unavailable' } });
        const { result } = await run(account, { options: { maxAttempts: 1 } });
        assert.equal(result?.status, 'partial');
        assert.deepEqual(
          account.finishes[0]?.failures.map((f) => [f.stream, f.scope, f.type]),
          [
            ['environments', 'p1', 'upstream_unavailable'],
            ['flags', 'p1', 'upstream_unavailable'],
          ],
        );
        assert.deepEqual([result?.streams.flags.scopesDone, result?.streams.flags.scopesFailed], [2, 1]);
        assert.deepEqual([result?.streams.flag_statuses.scopesTotal, result?.streams.flag_statuses.scopesDone], [2, 2]);
        assert.ok(!account.log.some((e) => e.what.startsWith('flag_statuses:p1/')));
      });

      it('stops everything at once on a revoked token and fails as invalid_credentials', async () => {
        const account = accountFor(mode)
          .on('flags:p1', { ms: 100, fail: { type: 'invalid_credentials', nonRetryable: true } })
          .on('flag_statuses', { ms: 5000 });
        const { error } = await run(account, {});
        assert.equal(appFailure(error).type, 'invalid_credentials');
        assert.equal(account.finishes[0]?.status, 'failed');
        assert.ok(account.log.some((e) => e.event === 'cancelled' && e.what.startsWith('flag_statuses')));
        assertNothingRanAfterFinish(account);
      });

      it('carries state across continue-as-new and records the run once', async () => {
        const account = accountFor(mode);
        account.projects = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
        const { result } = await run(account, { options: { projectWindow: 1, historyEventLimit: 40 } });
        assert.equal(result?.status, 'succeeded');
        assert.equal(result?.streams.environments.scopesDone, 6);
        assert.equal(result?.streams.flags.scopesDone, 6);
        assert.equal(result?.streams.flag_statuses.scopesDone, 12);
        assert.equal(result?.streams.projects.scopesDone, 1);
        assert.equal(account.finishes.length, 1);
      });

      it('rejects a bad input with invalid_input', async () => {
        const { error } = await run(accountFor(mode), { connectionId: 'Not An Id', options: { projectWindow: 0 } });
        const failure = appFailure(error);
        assert.equal(failure.type, 'invalid_input');
        assert.match(failure.message, /connectionId/);
        assert.match(failure.message, /projectWindow/);
      });

      const cancelPoints: Array<{ name: string; setup: (a: StubAccount) => void; when: (a: StubAccount) => boolean }> =
        [
          {
            name: 'before the first project starts (during beginRun)',
            setup: (a) => (a.beginMs = 1500),
            when: () => true,
          },
          {
            name: 'while projects wait for the window',
            setup: (a) => {
              a.projects = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10'];
              a.on('environments', { ms: 3000 });
            },
            when: (a) => a.running().some((w) => w.startsWith('environments')),
          },
          {
            name: 'mid-flags',
            setup: (a) => a.on('flags', { ms: 5000 }),
            when: (a) => a.running().some((w) => w.startsWith('flags')),
          },
          {
            name: 'mid-statuses (children running)',
            setup: (a) => a.on('flag_statuses', { ms: 5000 }),
            when: (a) => a.running().some((w) => w.startsWith('flag_statuses')),
          },
          {
            name: 'after continue-as-new',
            setup: (a) => {
              a.projects = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
              a.on('flags:p4', { ms: 5000 });
            },
            when: (a) => a.running().includes('flags:p4'),
          },
        ];
      for (const point of cancelPoints) {
        it(`a cancel ${point.name} ends cancelled, after every activity stopped`, async () => {
          const account = accountFor(mode);
          point.setup(account);
          const options = point.name.includes('continue-as-new') ? { projectWindow: 1, historyEventLimit: 40 } : {};
          const { error } = await run(account, { options }, async (handle) => {
            await waitFor(async () => point.when(account), 30_000, point.name);
            await handle.cancel();
          });
          assert.ok(error instanceof WorkflowFailedError, `expected a failed workflow, got ${String(error)}`);
          assert.ok(error.cause instanceof CancelledFailure, `expected CancelledFailure, got ${String(error.cause)}`);
          assert.equal(account.finishes.length, 1);
          assert.equal(account.finishes[0]?.status, 'cancelled');
          assertNothingRanAfterFinish(account);
        });
      }
    });
  }

  it('runs what the plan says: statuses as activities per environment, when the plan has no child workflow', async () => {
    const account = new StubAccount();
    account.plan = SYNC_PLAN.map(({ child: _child, ...step }) => step);
    const { result, history } = await run(account, {});
    assert.equal(result?.status, 'succeeded');
    assert.equal(result?.streams.flag_statuses.scopesDone, 4);
    assert.ok(account.log.some((e) => e.what === 'flag_statuses:p2/e2'));
    const events = history?.events ?? [];
    assert.equal(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length, 0);
    const summaries = events.flatMap((e) =>
      e.userMetadata?.summary?.data ? [Buffer.from(e.userMetadata.summary.data).toString()] : [],
    );
    assert.ok(
      summaries.some((t) => t.includes('flag statuses of p1/e2')),
      summaries.join(', '),
    );
  });
});

/** A scope's name as the workflow builds it: the input's single keys besides the run reference. */
function scopeOfInput(input: Record<string, unknown>): string {
  return Object.entries(input)
    .filter(
      ([name, value]) => typeof value === 'string' && !['runId', 'connectionId', 'progressWorkflowId'].includes(name),
    )
    .map(([, value]) => value as string)
    .join('/');
}

function appFailure(error: unknown): ClientApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, `expected a failed workflow, got ${String(error)}`);
  assert.ok(error.cause instanceof ClientApplicationFailure, `expected ApplicationFailure, got ${String(error.cause)}`);
  return error.cause;
}

/** finishRun came last: every stub activity had ended (or stopped on its cancel) before it began. */
function assertNothingRanAfterFinish(account: StubAccount): void {
  const finishAt = account.log.find((e) => e.what === 'finishRun')?.at ?? Infinity;
  const late = account.log.filter((e) => e.what !== 'finishRun' && e.at > finishAt);
  assert.deepEqual(late, [], 'activity events after finishRun');
  assert.deepEqual(
    account.running().filter((w) => w !== 'finishRun'),
    [],
  );
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
