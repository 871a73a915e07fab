// `npm run bench -- [--sizes small,medium,large] [--out FILE.json] [--markdown FILE.md] ...`
//
// Full syncs of generated accounts through the real stack (a Temporal dev server, a worker process
// `node bin/ldsync.js worker`, Postgres, the simulator over HTTP in a process of its own, and the
// `ldsync` CLI), beside the physical floor measured in the same run. Per size it prints a table and
// writes one JSON object (bench/REFERENCE.md lists the fields):
//   --sizes small,medium,large   small 2×3×200, medium 20×5×2,000, large 200×5×2,000 (10× in projects)
//   --out FILE.json              all results (default .data/bench/results.json)
//   --markdown FILE.md           also a Markdown table of the results
//   --database-url URL           admin URL of the Postgres server (default DATABASE_URL; unset: an embedded
//                                Postgres in .data/bench/postgres on port 15434, as the tests do)
//   --temporal-port 7433         the dev server's port; --sim-port 18390 (one port per size upward)
//   --no-rate-limit              skip the run under a simulated rate limit; --rate-limit N (per second)
//   --dx-sample 3000             per-flag status requests timed for the DX comparison
//   --profile DIR                worker and simulator with --cpu-prof, profiles in DIR
//   --worker-entry FILE          run the worker from FILE instead of bin/ldsync.js, e.g. dist/src/main.js
//                                (the production build: `npm run build` first)
//   --keep                       keep the bench databases afterwards
//   --floor-only                 only the simulator and the floor (with --profile: the simulator's profile alone)
//   --sync-only                  only the full sync (no floor, re-sync or rate limit; their fields are null)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config';
import { generateEncryptionKey } from '../../src/crypto/token-cipher';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { syncWorkflowId } from '../../src/shared';
import { copyFloor, fetchFloor, fetchHrefs, FLOOR_CONCURRENCY, type FetchFloor } from './floor';
import {
  databaseNow,
  delta,
  latestRun,
  liveRows,
  parentHistory,
  rowsTouchedSince,
  tupleWrites,
  workflowMs,
  type RunFacts,
} from './measure';
import { ENDPOINTS, type Endpoint } from './minimum';
import { killChildren, machine } from './processes';
import { markdownReport, printTable, type SizeResult } from './report';
import { startSimProcess, type SimProcess } from './simulator';
import { formatStatements, readStatements, resetStatements, statementsAvailable } from './statements';
import { dropDatabase, freshDatabase, ldsync, startTemporal, startWorker } from './stack';

const SIZES = {
  small: { projects: 2, environments: 3, flags: 200 },
  medium: { projects: 20, environments: 5, flags: 2000 },
  large: { projects: 200, environments: 5, flags: 2000 },
} as const;
type SizeName = keyof typeof SIZES;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'small,medium,large' },
    out: { type: 'string', default: path.join(PROJECT_ROOT, '.data', 'bench', 'results.json') },
    markdown: { type: 'string' },
    'database-url': { type: 'string' },
    'temporal-port': { type: 'string', default: '7433' },
    'sim-port': { type: 'string', default: '18390' },
    'rate-limit': { type: 'string' },
    'no-rate-limit': { type: 'boolean', default: false },
    'dx-sample': { type: 'string', default: '3000' },
    profile: { type: 'string' },
    'worker-entry': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'floor-only': { type: 'boolean', default: false },
    'sync-only': { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
  },
});

let ADMIN_URL = values['database-url'] ?? process.env.DATABASE_URL ?? '';
const EMBEDDED_PORT = 15434;
const TOKEN_VAR = 'LDSYNC_BENCH_TOKEN';
const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

function endpointCounts(byRoute: Record<string, number>): Record<Endpoint, number> {
  return Object.fromEntries(
    (Object.keys(ENDPOINTS) as Endpoint[]).map((e) => [e, byRoute[ENDPOINTS[e]] ?? 0]),
  ) as Record<Endpoint, number>;
}

async function waitForStats(): Promise<void> {
  // A backend that goes idle flushes its table statistics only after PGSTAT_IDLE_INTERVAL (10 s):
  // read earlier and the last pages of a sync would be counted in the next one.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
}

async function runSize(
  name: SizeName,
  index: number,
  temporal: Awaited<ReturnType<typeof startTemporal>>,
): Promise<SizeResult> {
  const shape = SIZES[name];
  const startedAt = new Date().toISOString();
  const machineAtStart = machine();
  const profileDir = values.profile ? path.resolve(values.profile, name) : undefined;
  if (profileDir) await fs.mkdir(profileDir, { recursive: true });

  log(`${name}: generating ${shape.projects}×${shape.environments}×${shape.flags}`);
  const sim: SimProcess = await startSimProcess(
    { seed: Number(values.seed), ...shape, teams: 10, membersPerTeam: 5, port: Number(values['sim-port']) + index },
    { cpuProfDir: profileDir },
  );
  const dbName = `ldsync_bench_${name}`;
  let pool: pg.Pool | null = null;
  let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
  try {
    const minimumTotal = sum(sim.minimum);
    const databaseUrl = await freshDatabase(ADMIN_URL, dbName);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });

    // ---- the floor: bare fetch loop, then COPY; the simulator's CPU read around the fetch
    log(`${name}: floor (fetch ${FLOOR_CONCURRENCY} in flight, then COPY)`);
    await sim.resetStats();
    let simCpu = sim.cpuMs();
    const syncOnly = values['sync-only'];
    const fetched: FetchFloor = syncOnly
      ? { ms: NaN, requests: 0, bytes: 0, non200: 0, byEndpoint: {}, rows: {}, buffers: {} }
      : await fetchFloor(sim.baseUrl, sim.readerToken);
    const simCpuFloor = syncOnly ? NaN : sim.cpuMs() - simCpu;
    const copied = syncOnly ? { ms: NaN, rows: 0, bytes: 0 } : await copyFloor(databaseUrl, fetched);
    fetched.buffers = {} as typeof fetched.buffers; // free the rows
    const floorMs = fetched.ms + copied.ms;

    if (values['floor-only']) {
      const simulatorOnly = {
        size: name,
        shape,
        startedAt,
        machine: machineAtStart,
        machineAtEnd: machine(),
        floorMs,
        fetchFloorMs: fetched.ms,
        copyFloorMs: copied.ms,
        floorRequests: fetched.requests,
        floorBytes: fetched.bytes,
        simulator: {
          generateMs: sim.generateMs,
          floorCpuMs: simCpuFloor,
          floorBusyShare: simCpuFloor / fetched.ms,
          pagesPerCpuSecond: fetched.requests / (simCpuFloor / 1000),
          msPerPage: simCpuFloor / fetched.requests,
        },
      };
      console.log(JSON.stringify(simulatorOnly, null, 2));
      return simulatorOnly as unknown as SizeResult;
    }

    // ---- worker, connection
    const taskQueue = `ldsync-bench-${name}-${randomBytes(3).toString('hex')}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.server.address,
      TEMPORAL_NAMESPACE: temporal.server.namespace,
      LDSYNC_TASK_QUEUE: taskQueue,
      LDSYNC_ENCRYPTION_KEY: generateEncryptionKey(),
      [TOKEN_VAR]: sim.readerToken,
    };
    log(`${name}: starting the worker`);
    worker = await startWorker(env, temporal.temporal, taskQueue, {
      cpuProfDir: profileDir,
      entry: values['worker-entry'],
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleRssMb = worker.sampler.take();
    const connectionId = `bench-${name}`;
    await ldsync(env, [
      'connections',
      'add',
      connectionId,
      '--token-env',
      TOKEN_VAR,
      '--base-url',
      sim.baseUrl,
      '--no-check',
    ]);
    const workflowId = syncWorkflowId(connectionId);

    const statements = profileDir ? await statementsAvailable(ADMIN_URL).catch(() => false) : false;
    if (profileDir && !statements) log('pg_stat_statements is not loaded on this server: statements not profiled');
    const sync = async (label: string, slug: string) => {
      await sim.resetStats();
      if (statements) await resetStatements(ADMIN_URL);
      const since = await databaseNow(pool as pg.Pool);
      const writesBefore = await tupleWrites(pool as pg.Pool);
      worker?.sampler.take();
      const cpuBefore = worker?.cpuMs() ?? 0;
      simCpu = sim.cpuMs();
      log(`${name}: ${label}`);
      const cli = await ldsync(env, ['sync', connectionId, '--wait', '--json']);
      const simCpuMs = sim.cpuMs() - simCpu;
      const workerCpuMs = (worker?.cpuMs() ?? 0) - cpuBefore;
      const peakRssMb = worker?.sampler.take() ?? 0;
      const stats = await sim.stats();
      const run: RunFacts = await latestRun(pool as pg.Pool, connectionId);
      // After continue-as-new, Temporal's latest run covers only the last part; the run row covers it all.
      const ms = Math.max((await workflowMs(temporal.temporal, workflowId)) ?? 0, run.dbMs);
      await waitForStats();
      const tupleDelta = delta(await tupleWrites(pool as pg.Pool), writesBefore);
      const tuples = sum(tupleDelta);
      const touched = await rowsTouchedSince(pool as pg.Pool, connectionId, since);
      if (statements && profileDir) {
        const top = await readStatements(ADMIN_URL, dbName, 40);
        await fs.writeFile(path.join(profileDir, `statements-${slug}.json`), JSON.stringify(top, null, 2));
        await fs.writeFile(path.join(profileDir, `statements-${slug}.txt`), formatStatements(top) + '\n');
      }
      if (profileDir)
        await fs.writeFile(path.join(profileDir, `simulator-stats-${slug}.json`), JSON.stringify(stats, null, 2));
      return { cli, ms, stats, run, simCpuMs, workerCpuMs, peakRssMb, tuples, tupleDelta, touched };
    };

    // ---- full sync
    const full = await sync('full sync', 'full');
    if (full.run.status !== 'succeeded') throw new Error(`${name}: the full sync ended ${full.run.status}`);
    const history = await parentHistory(temporal.temporal, workflowId);
    const rows = await liveRows(pool, connectionId);
    const expected = sim.counts;
    const rowTotal = sum(rows);
    const expectedRows =
      expected.projects +
      expected.environments +
      expected.flags +
      expected.flagEnvironments +
      expected.flagStatuses +
      expected.tags +
      expected.teams +
      expected.teamMaintainers;

    // ---- no-change re-sync
    const resync = syncOnly ? full : await sync('no-change re-sync', 'resync');
    if (resync.run.status !== 'succeeded') throw new Error(`${name}: the re-sync ended ${resync.run.status}`);

    // ---- DX: flag statuses one flag at a time, timed on a sample
    log(`${name}: DX per-flag statuses on a sample`);
    const enc = encodeURIComponent;
    const perFlagTotal = expected.flagStatuses;
    const sampleTriples = await sim.sample(Math.min(perFlagTotal, Number(values['dx-sample'])));
    const dxSample = await fetchHrefs(
      sim.baseUrl,
      sim.readerToken,
      sampleTriples.map(([p, e, f]) => `/api/v2/flag-statuses/${enc(p)}/${enc(e)}/${enc(f)}`),
    );
    const statusLists = await fetchHrefs(
      sim.baseUrl,
      sim.readerToken,
      [...new Set(sampleTriples.map(([p, e]) => `${p}\u0000${e}`))]
        .slice(0, 1000)
        .map((k) => k.split('\u0000'))
        .map(([p, e]) => `/api/v2/flag-statuses/${enc(p as string)}/${enc(e as string)}`),
    );
    const dxStatusMs = (dxSample.ms / Math.max(1, sampleTriples.length)) * perFlagTotal;
    const listMsEach = statusLists.ms / Math.max(1, statusLists.requests);
    const ourStatusListMs = listMsEach * sim.minimum.flagStatuses;
    const dxRequests = minimumTotal - sim.minimum.flagStatuses + perFlagTotal;

    // ---- a no-change re-sync under a simulated rate limit (1 s windows, global and per route)
    let rateLimit: SizeResult['rateLimit'] = null;
    if (!values['no-rate-limit'] && !syncOnly) {
      const natural = resync.stats.requests / (resync.ms / 1000);
      const perSecond = values['rate-limit'] ? Number(values['rate-limit']) : Math.max(5, Math.floor(natural / 2));
      await sim.configure({
        rateLimit: { globalPerWindow: perSecond, routePerWindow: perSecond, windowMs: 1000, send429Headers: 'reset' },
      });
      const limited = await sync(`no-change re-sync under a rate limit of ${perSecond}/s`, 'rate-limited');
      await sim.configure({ rateLimit: { globalPerWindow: 100_000, routePerWindow: 20_000, windowMs: 10_000 } });
      const answered = limited.stats.requests - limited.stats.rateLimited;
      const allowed = perSecond * (limited.ms / 1000);
      rateLimit = {
        limitPerSecond: perSecond,
        naturalPerSecond: natural,
        ms: limited.ms,
        status: limited.run.status,
        requests: limited.stats.requests,
        http429: limited.stats.rateLimited,
        share429: limited.stats.requests ? limited.stats.rateLimited / limited.stats.requests : 0,
        shareOfAllowedRateUsed: allowed ? answered / allowed : 0,
        rowsWritten: limited.run.inserted + limited.run.updated + limited.run.deleted,
      };
    }

    const finalMemory = worker.memory();
    const result: SizeResult = {
      size: name,
      shape,
      workerEntry: values['worker-entry'] ?? 'bin/ldsync.js',
      startedAt,
      machine: machineAtStart,
      machineAtEnd: machine(),
      counts: expected,
      rows: rowTotal,
      rowsExpected: expectedRows,
      rowsByTable: rows,
      syncMs: full.ms,
      cliSyncMs: full.cli.ms,
      rowsPerSecond: rowTotal / (full.ms / 1000),
      requests: full.stats.requests,
      requestsByEndpoint: endpointCounts(full.stats.byRoute),
      streamRequests: full.run.requests,
      minimumRequests: minimumTotal,
      minimumByEndpoint: sim.minimum,
      requestsPerMinimum: full.stats.requests / minimumTotal,
      http429: full.stats.rateLimited,
      floorMs,
      fetchFloorMs: fetched.ms,
      copyFloorMs: copied.ms,
      floorRequests: fetched.requests,
      floorBytes: fetched.bytes,
      floorNon200: fetched.non200,
      copyRows: copied.rows,
      syncOverFloor: full.ms / floorMs,
      resyncMs: resync.ms,
      resyncOverFetchFloor: resync.ms / fetched.ms,
      resyncRequests: resync.stats.requests,
      resyncRowsWritten: {
        streams: resync.run.inserted + resync.run.updated + resync.run.deleted,
        touchedSince: resync.touched,
        tupleWrites: resync.tuples,
        tupleWritesByTable: resync.tupleDelta,
      },
      fullSyncTupleWrites: full.tuples,
      worker: {
        pid: worker.pid,
        startMs: worker.startMs,
        idleRssMb,
        fullSyncPeakRssMb: full.peakRssMb,
        resyncPeakRssMb: resync.peakRssMb,
        hwmMb: finalMemory?.hwmMb ?? null,
        fullSyncCpuMs: full.workerCpuMs,
        resyncCpuMs: resync.workerCpuMs,
      },
      history,
      dx: {
        requests: dxRequests,
        requestsRatio: dxRequests / full.stats.requests,
        sampled: sampleTriples.length,
        extrapolated: sampleTriples.length < perFlagTotal,
        perFlagMsEach: dxSample.ms / Math.max(1, sampleTriples.length),
        perFlagStatusesMs: dxStatusMs,
        statusListMs: ourStatusListMs,
        estimatedSyncMs: full.ms - ourStatusListMs + dxStatusMs,
        timeRatio: (full.ms - ourStatusListMs + dxStatusMs) / full.ms,
        fetchTimeRatio: (fetched.ms - ourStatusListMs + dxStatusMs) / fetched.ms,
        non200: dxSample.non200,
      },
      rateLimit,
      simulator: {
        generateMs: sim.generateMs,
        heapMb: sim.heapMb,
        floorCpuMs: simCpuFloor,
        floorBusyShare: simCpuFloor / fetched.ms,
        pagesPerCpuSecond: fetched.requests / (simCpuFloor / 1000),
        syncCpuMs: full.simCpuMs,
        syncBusyShare: full.simCpuMs / full.ms,
        resyncBusyShare: resync.simCpuMs / resync.ms,
      },
    };
    if (syncOnly) {
      // Not measured: null in the JSON (NaN), "NaN" in the table.
      result.resyncMs = NaN;
      result.resyncOverFetchFloor = NaN;
      result.resyncRequests = NaN;
      result.resyncRowsWritten = { streams: NaN, touchedSince: NaN, tupleWrites: NaN, tupleWritesByTable: {} };
      result.worker.resyncPeakRssMb = NaN;
      result.worker.resyncCpuMs = NaN;
      result.simulator.resyncBusyShare = NaN;
    }
    printTable(result);
    return result;
  } finally {
    if (worker) {
      log(`${name}: stopping the worker`);
      await worker.stop();
      worker.sampler.stop();
    }
    await pool?.end();
    await sim.close();
    if (!values.keep) await dropDatabase(ADMIN_URL, dbName).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const names = (values.sizes ?? '').split(',').filter(Boolean) as SizeName[];
  for (const n of names) if (!(n in SIZES)) throw new Error(`unknown size ${n}; use small, medium, large`);
  let stopping = false;
  /** What Ctrl-C must stop besides the tracked children: the dev server and an embedded Postgres. */
  const servers: Array<() => Promise<void>> = [];
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal}: stopping child processes`);
    void killChildren()
      .then(() => Promise.allSettled(servers.map((stop) => stop())))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let embedded: { stop(): Promise<void> } | null = null;
  if (!ADMIN_URL) {
    log(`no DATABASE_URL: starting an embedded Postgres on port ${EMBEDDED_PORT}`);
    const pgHandle = await startEmbeddedPostgres({
      dataDir: path.join(PROJECT_ROOT, '.data', 'bench', 'postgres'),
      port: EMBEDDED_PORT,
    });
    embedded = pgHandle;
    servers.push(() => pgHandle.stop());
    ADMIN_URL = pgHandle.url;
  }
  log(`starting a Temporal dev server on 127.0.0.1:${values['temporal-port']}`);
  const temporal = await startTemporal(Number(values['temporal-port']));
  servers.unshift(() => temporal.server.stop());
  const results: SizeResult[] = [];
  try {
    for (const [i, n] of names.entries()) {
      results.push(await runSize(n, i, temporal));
      if (values['floor-only']) continue;
      await fs.mkdir(path.dirname(path.resolve(values.out as string)), { recursive: true });
      await fs.writeFile(path.resolve(values.out as string), JSON.stringify(results, null, 2) + '\n');
    }
  } finally {
    await temporal.temporal.close();
    await temporal.server.stop();
    await killChildren();
    await embedded?.stop();
  }
  log(`wrote ${values.out}`);
  if (values['floor-only']) {
    await fs.writeFile(path.resolve(values.out as string), JSON.stringify(results, null, 2) + '\n');
  }
  if (values.markdown && !values['floor-only']) {
    await fs.writeFile(path.resolve(values.markdown), markdownReport(results));
    log(`wrote ${values.markdown}`);
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await killChildren();
  process.exit(1);
});
