// Operator commands: `ldsync connections validate` (is the token good for every endpoint?) and
// `ldsync schedule set|pause|resume|trigger|remove|list` (Temporal Schedules that sync a connection).
// Bad arguments exit 2 with one line naming the problem; `--json` prints what a script needs.
import { type Command } from 'commander';
import { loadEnv } from '../config';
import { getConnectionToken } from '../db';
import { closeHttpPools, LaunchDarklyClient } from '../launchdarkly';
import { checkConnection } from '../streams';
import { UsageError } from './cli-error';
import { formatTable, parseConnectionId, requireConnection, withPool, withTemporal } from './common';
import { formatChecks, judgeChecks } from './connection-check';
import { nameConnectionInHints } from './run-summary';
import { connectionsCommand } from './db-commands';
import { resolveTokenCipher } from './context';
import { formatDuration, parseScheduleRequest } from './schedule-options';
import {
  CATCHUP_WINDOW_MS,
  listSyncSchedules,
  pauseSyncSchedule,
  removeSyncSchedule,
  resumeSyncSchedule,
  setSyncSchedule,
  triggerSyncSchedule,
  type SyncScheduleView,
} from './sync-schedules';

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

export function registerOperatorCommands(program: Command): void {
  registerValidateCommand(connectionsCommand(program));
  registerScheduleCommands(program);
}

// ------------------------------------------------------------------------------ connections validate

function registerValidateCommand(connections: Command): void {
  connections
    .command('validate')
    .description(
      'check the token against each LaunchDarkly endpoint the sync reads; exit 0 when ok ' +
        '(3 invalid_credentials, 4 invalid_permissions, 1 another endpoint failed)',
    )
    .argument('<id>', 'connection id')
    .option('--json', 'print the checks and the verdict as JSON')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const cipher = resolveTokenCipher();
      const { connection, token } = await withPool(async (pool) => ({
        connection: await requireConnection(pool, connectionId),
        token: await getConnectionToken(pool, cipher, connectionId),
      }));
      const client = new LaunchDarklyClient({
        baseUrl: connection.baseUrl,
        apiVersion: connection.apiVersion,
        token,
        maxRateLimitRetries: 2,
      });
      // Keep-alive sockets would hold the process open after the answer.
      const checks = await checkConnection(client).finally(() => closeHttpPools());
      const verdict = judgeChecks(checks);
      print(
        opts.json,
        {
          connectionId,
          baseUrl: connection.baseUrl,
          apiVersion: connection.apiVersion,
          ok: verdict.ok,
          result: verdict.result,
          endpoint: verdict.endpoint ?? null,
          message: verdict.message === undefined ? null : nameConnectionInHints(verdict.message, connectionId),
          notes: verdict.notes,
          checks,
        },
        formatChecks(connection, checks, verdict),
      );
      process.exitCode = verdict.exitCode;
    });
}

// ------------------------------------------------------------------------------ schedule

interface SetOptions {
  every?: string;
  cron?: string;
  jitter?: string;
  paused?: boolean;
  json?: boolean;
}

function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'sync connections on Temporal Schedules (id ldsync-schedule-<id>; a run still going when the next is due is not doubled)',
    );

  schedule
    .command('set')
    .description('create or update the schedule of a connection')
    .argument('<id>', 'connection id')
    .option('--every <duration>', 'run at this interval, e.g. 30m, 1h, 1h30m, 1d')
    .option('--cron <expr>', 'run at these times (UTC unless the expression starts with TZ=<zone>), e.g. "0 6 * * *"')
    .option(
      '--jitter <duration>',
      'start each run up to this much later, at random (default: a tenth of --every, at most 1m; 30s with --cron)',
    )
    .option('--paused', 'create or leave the schedule paused')
    .option('--json', 'print the schedule as JSON')
    .action(async (rawId: string, opts: SetOptions) => {
      const connectionId = parseConnectionId(rawId);
      const parsed = parseScheduleRequest({
        every: opts.every,
        cron: opts.cron,
        jitter: opts.jitter,
        paused: opts.paused,
      });
      if (!parsed.ok) throw new UsageError(parsed.problem);
      await withPool((pool) => requireConnection(pool, connectionId));
      const taskQueue = loadEnv().LDSYNC_TASK_QUEUE;
      const { created, view } = await withTemporal(async ({ client }) => {
        try {
          return await setSyncSchedule(client, { connectionId, taskQueue }, parsed.request);
        } catch (err) {
          // The server rejects a spec it cannot run (a cron field out of range); the SDK rethrows it as a TypeError.
          if (err instanceof TypeError) throw new UsageError(`invalid schedule: ${err.message}`);
          throw err;
        }
      });
      print(opts.json, { created, ...view }, `${created ? 'created' : 'updated'} ${describeView(view)}`);
    });

  schedule
    .command('pause')
    .description('pause the schedule of a connection (a sync already running continues)')
    .argument('<id>', 'connection id')
    .option('--note <text>', 'why, shown in the Web UI and `schedule list`', 'by `ldsync schedule pause`')
    .option('--json', 'print the schedule as JSON')
    .action(async (rawId: string, opts: { note: string; json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const view = await withTemporal(({ client }) => pauseSyncSchedule(client, connectionId, opts.note));
      print(opts.json, view, `paused ${describeView(view)}`);
    });

  schedule
    .command('resume')
    .description('resume a paused schedule (runs missed while paused are not made up)')
    .argument('<id>', 'connection id')
    .option('--note <text>', 'why, shown in the Web UI and `schedule list`', 'by `ldsync schedule resume`')
    .option('--json', 'print the schedule as JSON')
    .action(async (rawId: string, opts: { note: string; json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const view = await withTemporal(({ client }) => resumeSyncSchedule(client, connectionId, opts.note));
      print(opts.json, view, `resumed ${describeView(view)}`);
    });

  schedule
    .command('trigger')
    .description("run the schedule's sync now (skipped if a sync it started is still running)")
    .argument('<id>', 'connection id')
    .option('--json', 'print the outcome as JSON')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const { runningBefore } = await withTemporal(({ client }) => triggerSyncSchedule(client, connectionId));
      const skipped = runningBefore.length > 0;
      print(
        opts.json,
        { connectionId, triggered: true, skipped, running: runningBefore },
        skipped
          ? `skipped: a sync this schedule started is still running (${runningBefore.join(', ')}); ` +
              'the schedule does not start a second one (overlap policy SKIP)'
          : `triggered: a sync of "${connectionId}" starts now; follow it with \`ldsync status ${connectionId}\``,
      );
    });

  schedule
    .command('remove')
    .description('delete the schedule of a connection (a sync already running continues)')
    .argument('<id>', 'connection id')
    .option('--json', 'print the outcome as JSON')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      await withTemporal(({ client }) => removeSyncSchedule(client, connectionId));
      print(opts.json, { connectionId, removed: true }, `removed the schedule of connection "${connectionId}"`);
    });

  schedule
    .command('list')
    .description('schedules of all connections, with their next and recent runs')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const views = await withTemporal(({ client }) => listSyncSchedules(client));
      print(opts.json, views, formatList(views));
    });
}

function describeView(view: SyncScheduleView): string {
  const parts = [
    `schedule ${view.scheduleId} of connection "${view.connectionId}": ${view.timing}`,
    `jitter up to ${formatDuration(view.jitterMs)}`,
    `catch-up window ${formatDuration(CATCHUP_WINDOW_MS)}`,
    'overlapping runs skipped',
  ];
  const state = view.paused
    ? `paused${view.note ? ` (${view.note})` : ''}; resume with \`ldsync schedule resume ${view.connectionId}\``
    : `next run ${view.nextRuns[0] ?? 'none'}`;
  return `${parts.join(', ')}; ${state}`;
}

function formatList(views: SyncScheduleView[]): string {
  if (views.length === 0) return 'no schedules; create one with `ldsync schedule set <id> --every 1h`';
  const rows = [
    ['connection', 'schedule', 'when', 'state', 'next run', 'last run', 'running'],
    ...views.map((v) => [
      v.connectionId,
      v.scheduleId,
      v.timing,
      v.paused ? 'paused' : 'active',
      v.paused ? '-' : (v.nextRuns[0] ?? '-'),
      v.recentRuns[0]?.startedAt ?? '-',
      v.running.join(', ') || '-',
    ]),
  ];
  return formatTable(rows);
}
