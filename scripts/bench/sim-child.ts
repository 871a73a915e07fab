// The simulator in a process of its own, so that neither the bench's floor client nor the worker
// shares its event loop and its CPU time can be read from /proc. Controlled over IPC by
// simulator.ts: `stats`, `resetStats`, `configure` (rate limits), `sample` (flag keys for the DX run).
//   node --import tsx scripts/bench/sim-child.ts '<SimulatorOptions as JSON>'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { minimumRequests } from './minimum';

export type SimRequest =
  | { id: number; op: 'stats' }
  | { id: number; op: 'resetStats' }
  | { id: number; op: 'configure'; patch: Partial<SimulatorOptions> }
  | { id: number; op: 'sample'; n: number }
  | { id: number; op: 'close' };

function sample(sim: Simulator, n: number): Array<[string, string, string]> {
  const all: Array<[string, string, string]> = [];
  const projects = sim.account.projects;
  let total = 0;
  for (const p of projects) total += p.flags.length * p.environments.length;
  const step = Math.max(1, Math.floor(total / Math.max(1, n)));
  let i = 0;
  for (const p of projects)
    for (const f of p.flags)
      for (const e of p.environments) {
        if (i++ % step === 0 && all.length < n) all.push([p.key, e.key, f.key]);
      }
  return all;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
  const started = performance.now();
  const sim = await startSimulator(options);
  const generateMs = performance.now() - started;
  const send = (message: unknown) => process.send?.(message);
  process.on('message', (raw: SimRequest) => {
    const reply = (result: unknown) => send({ id: raw.id, result });
    try {
      switch (raw.op) {
        case 'stats':
          return reply(sim.stats());
        case 'resetStats':
          sim.resetStats();
          return reply(null);
        case 'configure':
          sim.configure(raw.patch);
          return reply(null);
        case 'sample':
          return reply(sample(sim, raw.n));
        case 'close':
          void sim.close().then(() => {
            reply(null);
            process.disconnect?.();
            setTimeout(() => process.exit(0), 50).unref();
          });
          return;
      }
    } catch (err) {
      send({ id: raw.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  process.on('disconnect', () => {
    void sim.close().finally(() => process.exit(0));
  });
  send({
    ready: true,
    baseUrl: sim.baseUrl,
    readerToken: sim.readerToken,
    counts: sim.counts(),
    minimum: minimumRequests(sim.account, sim.counts().tags),
    generateMs,
    heapMb: process.memoryUsage().heapUsed / 1e6,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
