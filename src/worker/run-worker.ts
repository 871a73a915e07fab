// The production worker process (`ldsync worker`, and the image's entry point): a sync worker on
// LDSYNC_TASK_QUEUE against the Temporal service Temporal's environment configuration names, until
// SIGINT or SIGTERM; then polling stops and in-flight activities get the shutdown grace time to
// write their page and heartbeat its cursor, so a retry elsewhere resumes from there.
import type { Env } from '../config';
import type { TokenCipher } from '../crypto/token-cipher';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { databaseRetryFromEnv } from '../../activities/database';
import { connectNative } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorkerTracing, type TracingOptions } from '../temporal/tracing';
import { onStopSignal } from './signals';
import { limitsFromEnv, type SyncWorkerLimits, startSyncWorker } from './sync-worker';

export interface WorkerSettings {
  env: Env;
  databaseUrl: string;
  cipher: TokenCipher;
  /** Default: read from `env` (limitsFromEnv). */
  limits?: SyncWorkerLimits;
  /** OpenTelemetry tracing (tracingFromEnv(env) at the entry point); unset: off. */
  tracing?: TracingOptions | undefined;
}

export async function runWorker({ env, databaseUrl, cipher, limits, tracing }: WorkerSettings): Promise<void> {
  // JSON lines for log collectors unless LDSYNC_LOG_FORMAT=pretty.
  const logger = createLogger(env.LDSYNC_LOG_LEVEL, 'ldsync', env.LDSYNC_LOG_FORMAT ?? 'json');
  const workerLimits = limits ?? limitsFromEnv(env);
  // First, before any connection: the runtime takes this process's logger and metrics endpoint.
  installTemporalRuntime(logger, { metricsAddress: env.LDSYNC_METRICS_ADDRESS });
  const pool = createPool(databaseUrl);
  const workerTracing = tracing ? createWorkerTracing(tracing) : undefined;
  try {
    const native = await connectNative();
    try {
      const worker = await startSyncWorker({
        connection: native.connection,
        namespace: native.namespace,
        taskQueue: env.LDSYNC_TASK_QUEUE,
        pool,
        cipher,
        limits: workerLimits,
        databaseRetry: databaseRetryFromEnv(env),
        ...(workerTracing ? { tracing: workerTracing } : {}),
      });
      logger.info(
        {
          taskQueue: env.LDSYNC_TASK_QUEUE,
          namespace: native.namespace,
          identity: worker.worker.options.identity,
          limits: workerLimits,
          ...(tracing ? { tracing: tracing.tracesUrl } : {}),
        },
        'worker running',
      );
      const dispose = onStopSignal((signal) => {
        logger.info({ signal }, 'stopping worker (in-flight activities get 10 s)');
        void worker.stop();
      });
      try {
        await worker.stopped;
      } finally {
        dispose();
      }
    } finally {
      await native.close();
    }
  } finally {
    // The spans still buffered (the last batch) go out before the process exits.
    await workerTracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'));
    await pool.end();
  }
}
