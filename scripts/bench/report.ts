// The per-size table the bench prints, and the Markdown summary of a whole run.
import type { SimulatorCounts } from '../../src/simulator';
import type { HistoryFacts } from './measure';
import type { Endpoint } from './minimum';
import type { machine } from './processes';

export interface SizeResult {
  size: string;
  shape: { projects: number; environments: number; flags: number };
  workerEntry: string;
  startedAt: string;
  machine: ReturnType<typeof machine>;
  machineAtEnd: ReturnType<typeof machine>;
  counts: SimulatorCounts;
  rows: number;
  rowsExpected: number;
  rowsByTable: Record<string, number>;
  syncMs: number;
  cliSyncMs: number;
  rowsPerSecond: number;
  requests: number;
  requestsByEndpoint: Record<Endpoint, number>;
  streamRequests: number;
  minimumRequests: number;
  minimumByEndpoint: Record<Endpoint, number>;
  requestsPerMinimum: number;
  http429: number;
  floorMs: number;
  fetchFloorMs: number;
  copyFloorMs: number;
  floorRequests: number;
  floorBytes: number;
  floorNon200: number;
  copyRows: number;
  syncOverFloor: number;
  resyncMs: number;
  resyncOverFetchFloor: number;
  resyncRequests: number;
  resyncRowsWritten: {
    streams: number;
    touchedSince: number;
    tupleWrites: number;
    tupleWritesByTable: Record<string, number>;
  };
  fullSyncTupleWrites: number;
  worker: {
    pid: number;
    startMs: number;
    idleRssMb: number;
    fullSyncPeakRssMb: number;
    resyncPeakRssMb: number;
    hwmMb: number | null;
    fullSyncCpuMs: number;
    resyncCpuMs: number;
  };
  history: HistoryFacts;
  dx: {
    requests: number;
    requestsRatio: number;
    sampled: number;
    extrapolated: boolean;
    perFlagMsEach: number;
    perFlagStatusesMs: number;
    statusListMs: number;
    estimatedSyncMs: number;
    timeRatio: number;
    fetchTimeRatio: number;
    non200: number;
  };
  rateLimit: {
    limitPerSecond: number;
    naturalPerSecond: number;
    ms: number;
    status: string;
    requests: number;
    http429: number;
    share429: number;
    shareOfAllowedRateUsed: number;
    rowsWritten: number;
  } | null;
  simulator: {
    generateMs: number;
    heapMb: number;
    floorCpuMs: number;
    floorBusyShare: number;
    pagesPerCpuSecond: number;
    syncCpuMs: number;
    syncBusyShare: number;
    resyncBusyShare: number;
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
const mb = (n: number | null) => (n === null ? '?' : `${n.toFixed(0)} MB`);

export function rowsOf(r: SizeResult): Array<[string, string]> {
  const rl = r.rateLimit;
  return [
    [
      'account',
      `${r.shape.projects}×${r.shape.environments}×${r.shape.flags} (${r.rows} rows, expected ${r.rowsExpected})`,
    ],
    ['full sync (workflow)', `${s(r.syncMs)} (CLI wall ${s(r.cliSyncMs)}), ${r.rowsPerSecond.toFixed(0)} rows/s`],
    ['requests / minimum', `${r.requests} / ${r.minimumRequests} (${x(r.requestsPerMinimum)}), 429s ${r.http429}`],
    [
      'floor',
      `${s(r.floorMs)} = fetch ${s(r.fetchFloorMs)} (${r.floorRequests} req) + COPY ${s(r.copyFloorMs)} (${r.copyRows} rows)`,
    ],
    ['full sync / floor', x(r.syncOverFloor)],
    ['no-change re-sync', `${s(r.resyncMs)}, ${x(r.resyncOverFetchFloor)} the fetch floor`],
    [
      're-sync rows written',
      `${r.resyncRowsWritten.streams} (streams), ${r.resyncRowsWritten.touchedSince} (timestamps), ${r.resyncRowsWritten.tupleWrites} (pg_stat tuples)`,
    ],
    [
      'worker RSS',
      `${r.workerEntry}: idle ${mb(r.worker.idleRssMb)}, full sync peak ${mb(r.worker.fullSyncPeakRssMb)}, re-sync peak ${mb(r.worker.resyncPeakRssMb)}, VmHWM ${mb(r.worker.hwmMb)}`,
    ],
    ['worker CPU', `full ${s(r.worker.fullSyncCpuMs)}, re-sync ${s(r.worker.resyncCpuMs)}`],
    [
      'parent history',
      `${r.history.events} events (${r.history.activities} activities, ${r.history.children} children, constant ${r.history.overhead}${r.history.continuedAsNew ? ', last run after continue-as-new' : ''})`,
    ],
    [
      'DX per-flag statuses',
      `${r.dx.requests} requests (${x(r.dx.requestsRatio)}), est. ${s(r.dx.estimatedSyncMs)} (${x(r.dx.timeRatio)} time; fetch only ${x(r.dx.fetchTimeRatio)})${r.dx.extrapolated ? `, extrapolated from ${r.dx.sampled}` : ''}`,
    ],
    [
      'under a rate limit',
      rl
        ? `${rl.limitPerSecond}/s: ${s(rl.ms)}, ${pct(rl.shareOfAllowedRateUsed)} of the allowed rate used, 429s ${rl.http429}/${rl.requests} (${pct(rl.share429)}), ${rl.status}`
        : 'not run',
    ],
    [
      'simulator',
      `busy ${pct(r.simulator.floorBusyShare)} of one core during the fetch floor (${r.simulator.pagesPerCpuSecond.toFixed(0)} pages per CPU second), ${pct(r.simulator.syncBusyShare)} during the sync, ${pct(r.simulator.resyncBusyShare)} during the re-sync`,
    ],
    [
      'machine',
      `${r.machine.nproc} cores, load ${r.machine.loadavg.join(' ')} at start, ${r.machineAtEnd.loadavg.join(' ')} at end; ${r.startedAt}`,
    ],
  ];
}

export function printTable(r: SizeResult): void {
  const rows = rowsOf(r);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n== ${r.size} ==`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

export function markdownReport(results: SizeResult[]): string {
  const head = [
    'size',
    'syncMs',
    'floorMs',
    'sync/floor',
    'resyncMs',
    'resync/fetch floor',
    'rows written on re-sync',
    'worker peak RSS',
    'history events',
    'requests/minimum',
    'DX requests×, time×',
    'rate limit: used, 429 share',
  ];
  const lines = results.map((r) =>
    [
      `${r.size} (${r.shape.projects}×${r.shape.environments}×${r.shape.flags})`,
      r.syncMs.toFixed(0),
      r.floorMs.toFixed(0),
      x(r.syncOverFloor),
      r.resyncMs.toFixed(0),
      x(r.resyncOverFetchFloor),
      String(r.resyncRowsWritten.streams),
      mb(Math.max(r.worker.fullSyncPeakRssMb, r.worker.resyncPeakRssMb)),
      String(r.history.events),
      `${r.requests}/${r.minimumRequests}`,
      `${x(r.dx.requestsRatio)}, ${x(r.dx.timeRatio)}`,
      r.rateLimit ? `${pct(r.rateLimit.shareOfAllowedRateUsed)}, ${pct(r.rateLimit.share429)}` : 'not run',
    ].join(' | '),
  );
  const details = results
    .map((r) => [`### ${r.size}`, '', ...rowsOf(r).map(([k, v]) => `- **${k}**: ${v}`), ''].join('\n'))
    .join('\n');
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l} |`),
    '',
    details,
  ].join('\n');
}
