// `npm run test:only [-- <file|dir|name part>... [--node-test-option=value]...]`
// Starts what every test file needs ONCE for the whole run (a Temporal dev server, and embedded
// Postgres unless DATABASE_URL is set), runs the files with node's own test runner, and tears it all
// down even when tests fail or the run is interrupted. Each test file then takes an isolated database
// and its own task queues from test/support/stack.ts, so files may run in parallel.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dataDir, loadEnv, PROJECT_ROOT } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { onStopSignal } from '../src/worker/signals';
import { Teardown } from '../src/dev/teardown';
import { findTemporalCli } from '../src/temporal/cli-binary';
import { freePort, startDevServer } from '../src/temporal/dev-server';

const TEST_DIR = path.join(PROJECT_ROOT, 'test');
const say = (line: string) => console.error(`run-tests: ${line}`);

async function main(): Promise<number> {
  const started = Date.now();
  const { selectors, nodeOptions } = splitArgs(process.argv.slice(2));
  const files = await selectTestFiles(selectors);
  if (files.length === 0) {
    say(`no test file matches ${selectors.length ? selectors.join(' ') : 'test/**/*.test.ts'}`);
    return 1;
  }

  const teardown = new Teardown();
  let child: ReturnType<typeof spawn> | undefined;
  let interrupted = false;
  const disposeSignals = onStopSignal((signal) => {
    interrupted = true;
    say(`${signal}: stopping`);
    if (child) child.kill(signal);
    else void teardown.run().then(() => process.exit(130));
  });

  try {
    const cli = await findTemporalCli({ onInstall: say });
    const server = await startDevServer({
      cli,
      port: 0,
      uiPort: 0,
      logLevel: 'error',
    });
    teardown.add('Temporal dev server', () => server.stop());

    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      // Under .data/ (git-ignored) but private to this run, so two runs never share a cluster.
      const root = dataDir(loadEnv());
      await fs.mkdir(root, { recursive: true });
      const pgDir = await fs.mkdtemp(path.join(root, 'test-run-'));
      teardown.add('embedded Postgres data', () => fs.rm(pgDir, { recursive: true, force: true }));
      const postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort() });
      teardown.add('embedded Postgres', () => postgres.stop());
      adminUrl = postgres.url;
    }
    say(`stack ready in ${seconds(started)} (Temporal ${server.address}, UI ${server.uiUrl}); ${files.length} file(s)`);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      DATABASE_URL: adminUrl,
      LDSYNC_TEST_UI_URL: server.uiUrl,
      LDSYNC_LOG_LEVEL: process.env.LDSYNC_LOG_LEVEL ?? 'warn',
      ...(cli.kind === 'sdk-download' ? {} : { TEMPORAL_CLI_PATH: cli.path }),
    };
    const nodeArgs = [
      '--import',
      'tsx',
      '--test',
      // TAP keeps node's summary lines (`# tests N`, `# pass N`, `# fail N`), which CI reads.
      '--test-reporter=tap',
      // Node times each file as a whole: test/faults-postgres-outage.test.ts keeps Postgres down 5 minutes.
      ...(nodeOptions.some((o) => o.startsWith('--test-timeout')) ? [] : ['--test-timeout=900000']),
      ...nodeOptions,
      ...files.map((f) => path.relative(PROJECT_ROOT, f)),
    ];
    const testsStarted = Date.now();
    const { code, summary } = await new Promise<{ code: number; summary: Map<string, number> }>((resolve) => {
      child = spawn(process.execPath, nodeArgs, { cwd: PROJECT_ROOT, env, stdio: ['inherit', 'pipe', 'inherit'] });
      const summary = new Map<string, number>();
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk);
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
          if (match?.[1] && match[2]) summary.set(match[1], Number(match[2]));
        }
      });
      child.on('close', (exitCode, signal) => resolve({ code: exitCode ?? (signal ? 1 : 0), summary }));
    });
    say(`tests ran in ${seconds(testsStarted)}; total ${seconds(started)}`);

    if (interrupted) return 130;
    if (!summary.has('tests')) {
      say('node printed no test summary: the run did not complete');
      return code || 1;
    }
    // Skipped and todo tests do not count: a filter that matches nothing must not pass.
    if ((summary.get('pass') ?? 0) + (summary.get('fail') ?? 0) === 0) {
      say('no test ran');
      return 1;
    }
    return code;
  } finally {
    const failures = await teardown.run();
    for (const { name, error } of failures) say(`stopping ${name} failed: ${String(error)}`);
    disposeSignals();
  }
}

/** Paths and name parts select test files; arguments starting with `-` go to `node --test`. */
function splitArgs(args: string[]): { selectors: string[]; nodeOptions: string[] } {
  return {
    selectors: args.filter((a) => !a.startsWith('-')),
    nodeOptions: args.filter((a) => a.startsWith('-')),
  };
}

/** Node 20 has no glob for --test, so the list is built here: test/**\/*.test.ts, filtered by the selectors. */
async function selectTestFiles(selectors: string[]): Promise<string[]> {
  const all = (await fs.readdir(TEST_DIR, { recursive: true }))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(TEST_DIR, f))
    .sort();
  if (selectors.length === 0) return all;
  return all.filter((file) =>
    selectors.some((s) => {
      const asPath = path.resolve(s);
      return file === asPath || file.startsWith(asPath + path.sep) || path.relative(TEST_DIR, file).includes(s);
    }),
  );
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
