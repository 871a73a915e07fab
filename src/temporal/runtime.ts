// The Temporal runtime (one per process) logs through our pino logger, so worker, SDK-core and
// workflow logs share one format. It installs no signal handlers: `ldsync dev`, `ldsync worker` and
// the test runner decide themselves in which order things stop.
import { IllegalStateError, type Logger as TemporalLogger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { createLogger, type Logger } from '../logger';

let installed = false;

/** Installs the runtime once; later calls do nothing. Must run before any NativeConnection or Worker exists. */
export function installTemporalRuntime(logger: Logger = createLogger()): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: pinoTemporalLogger(logger.child({ component: 'temporal' })),
      shutdownSignals: [],
      // SDK-core's own logs are forwarded into the same logger; below WARN they are chatter.
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
    });
  } catch (err) {
    // Something already created the default runtime (e.g. @temporalio/testing): keep it.
    if (!(err instanceof IllegalStateError)) throw err;
  }
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
