// The run's plan, from the catalog: which streams `syncConnection` runs, in what order, and what each
// takes its keys from. The workflow gets it from beginRun (so it is recorded in the run's history) and
// interprets it; adding a stream changes this plan, never the workflow code.
import type { PlannedStream, StreamName } from '../shared';
import type { StreamDefinition } from './stream';

/** The plan of a catalog, parents before the streams they feed; throws on a plan the workflow cannot run. */
export function planOf(catalog: Record<string, StreamDefinition<unknown, unknown>>): PlannedStream[] {
  const definitions = Object.values(catalog);
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const plan: PlannedStream[] = [];
  const placed = new Set<StreamName>();
  const place = (d: StreamDefinition<unknown, unknown>, path: StreamName[]): void => {
    if (placed.has(d.name)) return;
    if (path.includes(d.name)) throw new Error(`stream ${d.name}: its keys come from itself (${path.join(' → ')})`);
    const from = d.schedule.from;
    if (from) {
      const parent = byName.get(from.stream);
      if (!parent) throw new Error(`stream ${d.name} takes its keys from ${from.stream}, which is not in the catalog`);
      if (!parent.fanOut) throw new Error(`stream ${d.name} takes keys from ${from.stream}, which declares no fanOut`);
      if (d.schedule.carriesOver && (!from.each || parent.schedule.from)) {
        throw new Error(`stream ${d.name}: only a per-key fan-out from an account-wide stream carries over`);
      }
      place(parent, [...path, d.name]);
    } else if (d.schedule.carriesOver || d.schedule.window || d.schedule.child) {
      throw new Error(`stream ${d.name} covers the whole account: it has no fan-out to window or carry over`);
    }
    const window = d.schedule.window;
    if (window && (!Number.isInteger(window.size) || window.size < 1)) {
      throw new Error(`stream ${d.name}: window ${window.option} needs a size of at least 1`);
    }
    if (d.schedule.child && !from?.each) throw new Error(`stream ${d.name}: a child workflow runs one scope per key`);
    placed.add(d.name);
    plan.push({ stream: d.name, activity: d.activity, ...d.schedule });
  };
  for (const d of definitions) place(d, []);
  if (plan.filter((s) => s.carriesOver).length > 1) throw new Error('at most one fan-out carries over');
  return plan;
}
