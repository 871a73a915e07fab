// Applies the plain-SQL migrations in `migrations/` with node-pg-migrate. Safe to run from several
// processes at once: the runner holds a Postgres advisory lock (per database) while it migrates,
// and `advisoryLockMode: 'wait'` makes a second runner wait for it instead of failing.
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import type { Logger } from '../logger';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
export const MIGRATIONS_SCHEMA = 'ldsync';
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions {
  /** Where node-pg-migrate's messages go; silent by default. */
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

/** Brings the database up to date; returns the names of the migrations applied now (empty if none). */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  // node-pg-migrate 9 is ESM-only; this file compiles to CommonJS.
  const { runner } = await import('node-pg-migrate');
  const log = options.logger;
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    migrationsSchema: MIGRATIONS_SCHEMA,
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    logger: {
      debug: (msg: string) => log?.debug(msg),
      info: (msg: string) => log?.info(msg),
      warn: (msg: string) => log?.warn(msg),
      error: (msg: string) => log?.error(msg),
    },
  });
  return { applied: applied.map((m) => m.name) };
}
