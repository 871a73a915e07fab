// Prints how fast the simulator generates accounts and answers the sync's heaviest requests, so
// benchmarks of the sync can tell the simulator's share from their own. Usage:
//   npx tsx scripts/simulator-bench.ts [flagsPerProject=2000] [projects=2] [environments=6]
import { startSimulator } from '../src/simulator';

async function main(): Promise<void> {
  const [flags = 2000, projects = 2, environments = 6] = process.argv.slice(2).map(Number);
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const sim = await startSimulator({ projects, environments, flags, teams: 10 });
  const generateMs = performance.now() - started;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const counts = sim.counts();
  console.log(
    `generated ${counts.projects} projects × ${environments} environments × ${flags} flags ` +
      `(${counts.flagEnvironments} flag-environments) in ${generateMs.toFixed(0)} ms, ~${heapMb.toFixed(0)} MB heap`,
  );

  const headers = { Authorization: sim.readerToken, 'LD-API-Version': '20240415' };
  const envKeys = sim.account.projects[0]?.environments.slice(0, 3).map((e) => e.key) ?? [];
  const project = sim.account.projects[0]?.key ?? 'default';
  const envQuery = envKeys.map((key) => `env=${key}`).join('&');

  const timeCrawl = async (label: string, first: string): Promise<void> => {
    started = performance.now();
    let next: string | undefined = first;
    let pages = 0;
    let bytes = 0;
    while (next !== undefined) {
      const response = await fetch(`${sim.baseUrl}${next}`, { headers });
      const text = await response.text();
      bytes += text.length;
      pages += 1;
      const body = JSON.parse(text) as { _links: { next?: { href: string } } };
      next = body._links.next?.href;
    }
    const ms = performance.now() - started;
    console.log(
      `${label}: ${pages} pages, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms ` +
        `(${((pages * 1000) / ms).toFixed(0)} pages/s, ${((bytes / 1e6 / ms) * 1000).toFixed(1)} MB/s)`,
    );
  };

  await timeCrawl(`flags summary, 3 envs, limit 100`, `/api/v2/flags/${project}?limit=100&${envQuery}`);
  await timeCrawl(`flags full (summary=0), 3 envs`, `/api/v2/flags/${project}?limit=100&summary=0&${envQuery}`);
  await timeCrawl(
    `flag statuses list (${flags} items)`,
    `/api/v2/flag-statuses/${project}/${envKeys[0] ?? 'production'}`,
  );
  await sim.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
