// What every file of the fault and bad-input suites shares: the account, a clean reference sync of it,
// the rigs it opens (closed in order, their artifacts collected), and the file's closing secrets test,
// which also leaves the file's artifacts and report rows where test/secrets-under-faults.test.ts reads
// them (one directory per test run: the run's Temporal address names it).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type SimulatorOptions } from '../../src/simulator';
import { startOwnPostgres, type OwnPostgres } from './own-postgres';
import { waitFor } from './wait';
import {
  activityAttempts,
  assertExact,
  countedRequests,
  fixedFreePort,
  flagPages,
  scenario,
  sleep,
  countsOf,
  ledger,
  report,
  snapshot,
  startRig,
  writeReport,
  type Rig,
  type RigOptions,
  type Snapshot,
} from './fault-harness';

/** One account for every scenario: 3 projects x 3 environments x 300 flags, 3 teams. */
export const ACCOUNT: SimulatorOptions = { seed: 91, projects: 3, environments: 3, flags: 300, teams: 3 };
/** The same account answering slowly, so a crash or an outage lands mid-flags. */
export const SLOW: SimulatorOptions = { ...ACCOUNT, latencyMs: 300 };
/** Slower still for the kills: a killed attempt is retried only after the 30 s heartbeat timeout. */
export const KILL: SimulatorOptions = { ...ACCOUNT, latencyMs: 800 };

/** Where this test run's suites leave their artifacts (TEMPORAL_ADDRESS is unique per `npm run test:only`). */
export function artifactsDir(): string {
  const run = (process.env.TEMPORAL_ADDRESS ?? `local-${process.pid}`).replace(/[^A-Za-z0-9]+/g, '_');
  return path.join(os.tmpdir(), 'ldsync-fault-artifacts', run);
}

/** The suites whose artifacts the secrets test waits for. */
export const SUITES = ['bad-input', 'faults-postgres', 'faults-postgres-outage', 'faults-processes', 'faults-upstream'];

export interface SuiteSummary {
  suite: string;
  /** task queues on the run's shared Temporal server: their histories can be read again */
  taskQueues: string[];
  secrets: string[];
  leaks: string[];
  histories: number;
  logLines: number;
  cliCalls: number;
  databaseChars: number;
  report: typeof report;
}

export interface FaultSuite {
  /** a clean sync of ACCOUNT into a rig of its own, made once per file on first use */
  reference(): Promise<Snapshot>;
  rig(label: string, opts: RigOptions): Promise<Rig>;
  closeRig(r: Rig | undefined): Promise<void>;
  /** Registers the file's closing secrets test; call it last, after every describe of the file. */
  secretsTest(): void;
}

/**
 * Registers the file's closing hook (rigs closed, the report written). Call once, at the top of the
 * file, and `secretsTest()` at its bottom: the secrets test over everything the file's rigs produced.
 */
export function faultSuite(suite: string): FaultSuite {
  let reference: Promise<Snapshot> | undefined;
  const open: Rig[] = [];
  const self: FaultSuite = {
    reference: () => (reference ??= referenceSync()),
    async rig(label, opts) {
      const r = await startRig(label, opts);
      open.push(r);
      return r;
    },
    async closeRig(r) {
      if (!r || !open.includes(r)) return;
      open.splice(open.indexOf(r), 1);
      await r.close();
    },
    secretsTest: () => undefined,
  };

  async function referenceSync(): Promise<Snapshot> {
    const started = Date.now();
    const ref = await self.rig('reference', { sim: ACCOUNT });
    const result = await (await ref.start()).result();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    const reference = await snapshot(ref);
    const sim = ref.sim.counts();
    assert.deepEqual(countsOf(reference), {
      projects: 3,
      environments: 9,
      flags: 900,
      flag_environments: 2700,
      flag_statuses: 2700,
      tags: sim.tags,
      teams: 3,
      team_maintainers: sim.teamMaintainers,
    });
    report.push({
      scenario: `${suite}: reference (clean sync)`,
      status: 'succeeded',
      counts: Object.values(countsOf(reference)).join('/'),
      requests: `${await countedRequests(ref)}/${ref.sim.stats().requests}`,
      seconds: (Date.now() - started) / 1000,
    });
    await self.closeRig(ref);
    return reference;
  }

  after(async () => {
    for (const r of [...open]) await self.closeRig(r).catch(() => undefined);
    await writeReport(path.join(artifactsDir(), `${suite}.report.json`));
  });

  self.secretsTest = () => {
    describe(`${suite}: secrets under faults`, () => {
      it('no token, SDK key, mobile key, pubnub key or encryption key in histories, logs, CLI output or Postgres', async () => {
        for (const r of [...open]) await self.closeRig(r); // collects what is left
        const started = Date.now();
        const leaks = scanLedger();
        assert.ok(ledger.workflowsRead >= 2, `histories were read (${ledger.workflowsRead})`);
        assert.ok(ledger.logs.length > 0, 'worker logs were captured');
        assert.ok(ledger.database.length > 0, 'database text was captured');
        assert.ok(ledger.secrets.size > 20, `secrets to look for (${ledger.secrets.size})`);
        assert.match(ledger.histories.join('\n'), DECODED_INPUT, 'decoded payloads are searched');
        report.push({
          scenario: `${suite}: secrets under faults`,
          status: leaks.length ? `FAIL: ${leaks.length} leaks` : 'none found',
          counts: `${ledger.secrets.size} secrets`,
          requests: `${ledger.workflowsRead} histories, ${ledger.logs.length} log lines, ${ledger.cli.length} CLI calls`,
          seconds: (Date.now() - started) / 1000,
        });
        const dir = artifactsDir();
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(path.join(dir, `${suite}.logs.txt`), ledger.logs.join('\n'));
        await fs.writeFile(path.join(dir, `${suite}.cli.txt`), ledger.cli.join('\n'));
        const summary: SuiteSummary = {
          suite,
          taskQueues: [...ledger.taskQueues],
          secrets: [...ledger.secrets],
          leaks,
          histories: ledger.workflowsRead,
          logLines: ledger.logs.length,
          cliCalls: ledger.cli.length,
          databaseChars: ledger.database.reduce((n, t) => n + t.length, 0),
          report,
        };
        await fs.writeFile(path.join(dir, `${suite}.summary.json`), JSON.stringify(summary));
        assert.deepEqual(leaks, []);
      });
    });
  };
  return self;
}

/** A workflow's input as a decoded payload shows in history text (its quotes escaped once). */
export const DECODED_INPUT = /\{\\"connectionId\\":\\"/;

/** Secrets (and secret-bearing field names) found in what the ledger holds. */
export function scanLedger(
  places: Record<string, string> = {
    'workflow histories': ledger.histories.join('\n'),
    'worker logs': ledger.logs.join('\n'),
    'CLI output': ledger.cli.join('\n'),
    'Postgres (outside the encrypted column)': ledger.database.join('\n'),
  },
  secrets: Iterable<string> = ledger.secrets,
): string[] {
  const leaks: string[] = [];
  const list = [...secrets];
  for (const [where, text] of Object.entries(places)) {
    for (const secret of list) if (text.includes(secret)) leaks.push(`${where}: ${secret.slice(0, 12)}…`);
    // Field names, also inside decoded payloads (where JSON.stringify escaped their quotes).
    for (const m of new Set(text.match(/\\?"(_pubnub|apiKey|mobileKey|cipherKey)\\?"/g) ?? [])) {
      leaks.push(`${where}: a ${m.replaceAll('\\', '')} field`);
    }
  }
  return leaks;
}

export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) return err.cause;
    throw err;
  }
  throw new Error('the workflow did not fail');
}

export function attemptsSummary(attempts: Array<{ type: string; attempt: number }>): string {
  const retried = attempts.filter((a) => a.attempt > 1);
  return retried.length
    ? `${retried.length} attempts were retries (max attempt ${Math.max(...retried.map((a) => a.attempt))})`
    : `${attempts.length} activities, none retried`;
}

/**
 * Postgres stops (immediate: connections drop) once flag pages are being written, stays down for
 * `seconds`, and comes back; the worker runs with the product's defaults (a 5-minute database budget
 * per attempt, LDSYNC_DATABASE_RETRY_SECONDS), so the outage is ridden out inside the activities.
 */
export async function postgresOutage(
  suite: FaultSuite,
  seconds: number,
  port: number,
  track: (pg: OwnPostgres) => void,
): Promise<void> {
  await scenario(`Postgres down ${seconds} s mid-flags`, async () => {
    const pg = await startOwnPostgres(await fixedFreePort(port));
    track(pg);
    const r = await suite.rig(`pgdown${seconds}`, { sim: SLOW, adminUrl: pg.adminUrl });
    const run = await r.start();
    await waitFor(async () => (await flagPages(r)) >= 3, 180_000, 'flag pages');
    assert.ok((await snapshot(r)).flags.length < 900, 'the outage starts mid-flags');
    await pg.stop();
    const downAt = Date.now();
    await sleep(seconds * 1000);
    await pg.start();
    const result = await run.result();
    const after = (Date.now() - downAt) / 1000;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    const exact = await assertExact(r, await suite.reference(), { status: 'succeeded', result });
    const attempts = await activityAttempts(r);
    await suite.closeRig(r);
    return {
      status: 'succeeded',
      ...exact,
      note: `finished ${after.toFixed(0)} s after Postgres went down; ${attemptsSummary(attempts)}`,
    };
  });
}
