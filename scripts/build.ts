// `npm run build`: what the image and `ldsync worker` run in production.
//   dist/src, dist/workflows, dist/activities  the compiled JavaScript (tsconfig.build.json)
//   dist/migrations                            the SQL migrations, where the compiled code looks for them
//   dist/workflow-bundle.js                    the workflow code bundled once (webpack, via the SDK)
//   dist/workflow-bundle-otel.js               the same plus the OpenTelemetry workflow interceptors
// `node dist/src/main.js worker` then starts without tsx and without bundling. Development needs
// none of this: bin/ldsync.js runs the TypeScript sources through tsx and bundles at start.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../src/config';
import { pinoTemporalLogger } from '../src/temporal/runtime';
import { OTEL_WORKFLOW_INTERCEPTORS_MODULE } from '../src/temporal/tracing-options';
import { PREBUILT_BUNDLE_FILE, tracingBundlePath, WORKFLOWS_PATH } from '../src/temporal/worker';
import { createLogger } from '../src/logger';

const DIST = path.join(PROJECT_ROOT, 'dist');
const say = (line: string) => console.error(`build: ${line}`);

async function main(): Promise<void> {
  const started = Date.now();
  await fs.rm(DIST, { recursive: true, force: true });

  say('compiling (tsc -p tsconfig.build.json)');
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit', cwd: PROJECT_ROOT },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status ?? tsc.signal})`);

  await fs.cp(path.join(PROJECT_ROOT, 'migrations'), path.join(DIST, 'migrations'), { recursive: true });

  // The same sources and bundler options as a development worker's bundle at start, so production
  // runs exactly the workflow code the replay test replays.
  say(`bundling workflows (${path.relative(PROJECT_ROOT, WORKFLOWS_PATH)}/)`);
  // Without a Temporal Runtime: the build needs none, and an installed one keeps the process alive.
  const logger = pinoTemporalLogger(createLogger('warn', 'build', 'pretty'));
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger });
  const bundlePath = path.join(DIST, PREBUILT_BUNDLE_FILE);
  await fs.writeFile(bundlePath, bundle.code);
  // The same workflows plus the OpenTelemetry workflow interceptors, for workers with
  // LDSYNC_TRACING=otlp (a bundle ignores the Worker's workflowModules); the plain one stays as is.
  const traced = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger,
    workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS_MODULE],
  });
  await fs.writeFile(tracingBundlePath(bundlePath), traced.code);

  const kib = Math.round(Buffer.byteLength(bundle.code) / 1024);
  say(`wrote dist/ and ${path.relative(PROJECT_ROOT, bundlePath)} (${kib} KiB) in ${elapsed(started)}`);
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

main().catch((err: unknown) => {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
