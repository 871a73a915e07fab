// Summarises what `npm run bench -- --profile DIR` recorded: the top self-time functions of a
// V8 .cpuprofile (worker or simulator), by function and by package or source folder.
//   npx tsx scripts/bench/profile-summary.ts DIR/medium/worker.cpuprofile [--top 25]
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `node_modules/<package>`, or the repository folder (src/db, activities, …), or a node builtin. */
export function ownerOf(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const m = /\/(src\/[^/]+|activities|workflows|scripts)\//.exec(url);
  return m ? m[1]! : path.basename(url);
}

export function summarise(file: string, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  let idleUs = 0;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const owner = ownerOf(url);
    const where = url ? `${owner}/${path.basename(url)}:${lineNumber + 1}` : owner;
    const key = `${functionName || '(anonymous)'}  ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const share = (us: number) => `${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${ms(totalUs)} profiled, ${ms(busyUs)} busy (${((100 * busyUs) / totalUs).toFixed(0)} %), ${ms(idleUs)} idle`,
    '',
    'self time by package / folder (share of busy time):',
    ...[...byOwner]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, us]) => `  ${ms(us)} ${share(us)}  ${k}`),
    '',
    `top ${top} functions by self time:`,
    ...[...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${ms(us)} ${share(us)}  ${k}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const [file, flag, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx scripts/bench/profile-summary.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  console.log(summarise(file, flag === '--top' ? Number(n) : 25));
}
