// The Temporal runtime (one per process) logs through our pino logger, so worker, SDK-core and
// workflow logs share one format. It installs no signal handlers: `ldsync dev`, `ldsync worker` and
// the test runner decide themselves in which order things stop.
//
// With LDSYNC_METRICS_ADDRESS (e.g. `0.0.0.0:9464`) it also serves Prometheus metrics on
// `http://<address>/metrics`: the SDK's own (`temporal_*`, default naming, durations in ms, which is
// what Temporal's "Core SDK" Grafana dashboard expects) and the sync's (`ldsync_*`, recorded through
// the activity metric meter by activities/sync-metrics.ts). Unset: no endpoint.
import { IllegalStateError, type Logger as TemporalLogger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { SYNC_HISTOGRAM_BUCKETS } from '../../activities/sync-metrics';
import { createLogger, type Logger } from '../logger';

export interface TemporalRuntimeOptions {
  /** `IP:port` for the Prometheus endpoint (the entry point passes LDSYNC_METRICS_ADDRESS); undefined: none */
  metricsAddress?: string | undefined;
}

let installed = false;

/**
 * Installs the runtime once; later calls do nothing. Must run before any NativeConnection or Worker
 * exists: worker entry points call it first, with their logger and metrics address from the validated
 * environment; elsewhere connecting installs it with a default logger and no metrics.
 */
export function installTemporalRuntime(logger: Logger = createLogger(), options: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  const { metricsAddress } = options;
  try {
    Runtime.install({
      logger: pinoTemporalLogger(logger.child({ component: 'temporal' })),
      shutdownSignals: [],
      telemetryOptions: {
        // SDK-core's own logs are forwarded into the same logger; below WARN they are chatter.
        logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
        ...(metricsAddress ? { metrics: prometheusMetrics(metricsAddress) } : {}),
      },
    });
  } catch (err) {
    // Something already created the default runtime (e.g. @temporalio/testing): keep it.
    if (err instanceof IllegalStateError) return;
    if (metricsAddress && err instanceof Error && /prometheus|socket address/i.test(err.message)) {
      throw new Error(`LDSYNC_METRICS_ADDRESS=${metricsAddress}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** The Prometheus exporter's options: SDK defaults (no `_total`/unit suffixes), buckets for ldsync's histograms. */
export function prometheusMetrics(bindAddress: string): NonNullable<RuntimeOptions['telemetryOptions']>['metrics'] {
  return { prometheus: { bindAddress, histogramBucketOverrides: SYNC_HISTOGRAM_BUCKETS } };
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts pino to Temporal's Logger interface. */
export function pinoTemporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[PINO_LEVEL[level]](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
