// A Postgres cluster of a test's own, for the tests that crash, stop and restart Postgres: the shared
// server on 5432 is never touched. Uses the machine's `initdb` / `pg_ctl` (PostgreSQL 13+ on PATH, or
// PG_BIN), run as the `postgres` user when the test runs as root; data in a temporary folder, a fixed
// port outside the ephemeral range (default 15433, OWN_PG_PORT), trust auth on 127.0.0.1 only.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres: may create databases */
  adminUrl: string;
  port: number;
  /** `pg_ctl restart -m immediate`: a crash (no checkpoint; recovery replays the WAL) */
  crashRestart(): Promise<void>;
  /** stops the server (`-m immediate`: connections drop at once) */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops it for good and removes its data */
  destroy(): Promise<void>;
}

function binary(name: string): string {
  return process.env.PG_BIN ? path.join(process.env.PG_BIN, name) : name;
}

const asRoot = process.getuid?.() === 0;

async function asPostgres(command: string, args: string[]): Promise<void> {
  if (asRoot) await run('runuser', ['-u', 'postgres', '--', binary(command), ...args]);
  else await run(binary(command), args);
}

export async function startOwnPostgres(port = Number(process.env.OWN_PG_PORT ?? 15433)): Promise<OwnPostgres> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-own-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  if (asRoot) {
    await run('chown', ['postgres', root]);
    await fs.chmod(root, 0o755);
  }
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c fsync=on',
    '-c max_connections=60',
  ].join(' ');
  const ctl = (...args: string[]) => asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, ...args]);
  const start = () => ctl('start', '-w', '-t', '60');
  await start();
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    crashRestart: () => ctl('restart', '-m', 'immediate', '-w', '-t', '60'),
    stop: () => ctl('stop', '-m', 'immediate', '-w', '-t', '60'),
    start,
    async destroy() {
      await ctl('stop', '-m', 'immediate', '-w', '-t', '60').catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
