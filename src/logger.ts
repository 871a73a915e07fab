// One structured logger for the CLI, worker and simulator (pino: fast, JSON by default, and
// silent-able in tests). Never log request headers: they carry the LaunchDarkly token.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LDSYNC_LOG_LEVEL ?? 'info', name = 'ldsync'): Logger {
  return pino({ name, level, redact: ['token', '*.token', 'headers.authorization', '*.headers.authorization'] });
}
