// The production worker process (`ldsync worker`, and the image's entry point): a sync worker on
// LDSYNC_TASK_QUEUE against the Temporal service Temporal's environment configuration names, until
// SIGINT or SIGTERM; then polling stops and in-flight activities get the shutdown grace time to
// write their page and heartbeat its cursor, so a retry elsewhere resumes from there.
import type { Env } from '../config';
import type { TokenCipher } from '../crypto/token-cipher';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { connectNative } from '../temporal/connection';
import { onStopSignal } from './signals';
import { startSyncWorker } from './sync-worker';

export interface WorkerSettings {
  env: Env;
  databaseUrl: string;
  cipher: TokenCipher;
}

export async function runWorker({ env, databaseUrl, cipher }: WorkerSettings): Promise<void> {
  // JSON lines for log collectors unless LDSYNC_LOG_FORMAT=pretty.
  const logger = createLogger(env.LDSYNC_LOG_LEVEL, 'ldsync', env.LDSYNC_LOG_FORMAT ?? 'json');
  const pool = createPool(databaseUrl);
  try {
    const native = await connectNative();
    try {
      const worker = await startSyncWorker({
        connection: native.connection,
        namespace: native.namespace,
        taskQueue: env.LDSYNC_TASK_QUEUE,
        pool,
        cipher,
      });
      logger.info({ taskQueue: env.LDSYNC_TASK_QUEUE, namespace: native.namespace }, 'worker running');
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
    await pool.end();
  }
}
