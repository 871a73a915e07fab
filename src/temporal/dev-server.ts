// Runs `temporal server start-dev` as a child process: the Temporal server `ldsync dev` and the
// tests use. The child gets its own process group so a terminal's Ctrl-C reaches only us, and we
// stop it last-in-first-out with the rest of the stack; stop() waits until the process has exited,
// so the SQLite file is closed before anything else touches `.data/`.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type SearchAttributeType } from '@temporalio/common';
import { type SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { searchAttributes } from '../shared';
import { findTemporalCli, type TemporalCli } from './cli-binary';

export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'never';

export interface DevServerOptions {
  /** gRPC frontend port (default 7233; 0 = a free port). */
  port?: number;
  /** Web UI port (default 8233, or port + 1000 for another port; 0 = a free port), or 'headless'. */
  uiPort?: number | 'headless';
  /** SQLite file that persists history across restarts; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  logLevel?: DevServerLogLevel;
  /** `--dynamic-config-value KEY=JSON` entries, e.g. lower limits in tests. */
  dynamicConfig?: Record<string, unknown>;
  /** Registered at start; defaults to every search attribute of src/shared.ts. */
  searchAttributes?: ReadonlyArray<SearchAttributeKey<SearchAttributeType>>;
  /** The server's own output is appended here (it is always kept in memory for error messages). */
  logFile?: string;
  /** A binary found earlier with findTemporalCli(); found now otherwise. */
  cli?: TemporalCli;
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
}

export interface DevServer {
  /** host:port of the gRPC frontend, for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** http://localhost:<uiPort>, unless headless. */
  uiUrl?: string;
  cli: TemporalCli;
  stop(): Promise<void>;
}

export class DevServerError extends Error {
  override name = 'DevServerError';
}

// The dev server binds one interface; loopback keeps it off the network.
const BIND_IP = '127.0.0.1';

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const port = await resolvePort(opts.port ?? DEFAULT_TEMPORAL_PORT, 'Temporal frontend (--port)');
  const uiPort = await resolveUiPort(opts, port);
  const address = `${BIND_IP}:${port}`;
  const uiUrl = uiPort === 'headless' ? undefined : `http://localhost:${uiPort}`;
  const cli = opts.cli ?? (await findTemporalCli());
  if (opts.dbFile) await fs.mkdir(path.dirname(opts.dbFile), { recursive: true });

  const running =
    cli.kind === 'sdk-download'
      ? await startWithSdkDownload(cli.why, { ...opts, namespace, port, uiPort })
      : spawnServer(cli.path, startDevArgs({ ...opts, namespace, port, uiPort }), opts);
  try {
    const uiProbe = uiPort === 'headless' ? undefined : `http://${BIND_IP}:${uiPort}`;
    await waitUntilReady(address, namespace, uiProbe, running, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return { address, namespace, uiUrl, cli, stop: running.stop };
}

function startDevArgs(opts: DevServerOptions & { namespace: string; port: number; uiPort: number | 'headless' }) {
  const args = ['server', 'start-dev', '--ip', BIND_IP, '--port', String(opts.port), '--namespace', opts.namespace];
  args.push(...(opts.uiPort === 'headless' ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  // The UI's news feed is fetched from the internet; a local tool has no use for it.
  if (opts.uiPort !== 'headless') args.push('--ui-disable-news-fetch');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  args.push('--log-level', opts.logLevel ?? 'warn');
  args.push(...extraArgs(opts));
  return args;
}

/** Search attributes and dynamic config, in the form both the CLI and the SDK's `extraArgs` take. */
function extraArgs(opts: DevServerOptions): string[] {
  const keys = opts.searchAttributes ?? Object.values(searchAttributes);
  return [
    ...keys.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]),
    ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
  ];
}

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

async function resolvePort(port: number, what: string): Promise<number> {
  if (port === 0) return freePort();
  if (!(await portIsFree(port))) {
    throw new DevServerError(
      `port ${port} (${what}) is already in use: is another Temporal dev server or \`ldsync dev\` running? ` +
        'Stop it or choose another port.',
    );
  }
  return port;
}

async function resolveUiPort(opts: DevServerOptions, port: number): Promise<number | 'headless'> {
  if (opts.uiPort === 'headless') return 'headless';
  const wanted = opts.uiPort ?? (opts.port === undefined ? DEFAULT_UI_PORT : opts.port === 0 ? 0 : port + 1000);
  return resolvePort(wanted, 'Temporal Web UI (--ui-port)');
}

/** A port the OS just handed out; a tiny race with other processes is accepted. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, BIND_IP, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, BIND_IP, () => server.close(() => resolve(true)));
  });
}

/** What startDevServer needs from a started server, whichever way it was started. */
interface RunningServer {
  /** Resolves with a description when the process ends before stop() is called. */
  exited: Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_TAIL_CHARS = 16_000;

/**
 * Runs the server under a tiny `sh` guard that stops it when our end of the guard's stdin closes:
 * the server lives in its own process group (a terminal's Ctrl-C must not reach it before the
 * worker has stopped), so without the guard a parent killed by SIGKILL or a closed terminal would
 * leave it running, holding its ports and the SQLite file. A SIGTERM to the group reaches the
 * server directly; the guard waits for it and exits with its status.
 */
const GUARD_SCRIPT = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'server=$!',
  '(read -r _ <&3; kill -TERM "$server" 2>/dev/null) &',
  'guard=$!',
  'exec 3<&-',
  "trap ':' TERM INT HUP",
  'status=0',
  'wait "$server" || status=$?',
  'while kill -0 "$server" 2>/dev/null; do wait "$server" || status=$?; done',
  'kill "$guard" 2>/dev/null',
  'exit "$status"',
].join('\n');

function spawnServer(binary: string, args: string[], opts: DevServerOptions): RunningServer {
  const [command, commandArgs] =
    process.platform === 'win32'
      ? [binary, args]
      : ['/bin/sh', ['-c', GUARD_SCRIPT, 'temporal-guard', binary, ...args]];
  // stdin stays an open pipe that we never write to: the guard's parent-death signal.
  const child = spawn(command, commandArgs, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    log?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start ${binary}: ${err.message}`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  // If this process exits without stop() (an uncaught error, process.exit), the server must not
  // outlive it; SIGTERM still lets it close its SQLite file properly.
  const killOnExit = () => killGroup(child, 'SIGTERM');
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        killGroup(child, 'SIGTERM');
        const grace = setTimeout(() => killGroup(child, 'SIGKILL'), opts.stopGraceMs ?? 10_000);
        await exited;
        clearTimeout(grace);
      }
      process.off('exit', killOnExit);
      await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
    })();
    return stopping;
  };
  return { exited, output: () => tail, stop };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole group: the CLI and anything it started
  } catch {
    child.kill(signal);
  }
}

/**
 * The last resort: `@temporalio/testing` downloads the CLI from temporal.download (needs internet)
 * and runs it. A devDependency, so it is loaded only here.
 */
async function startWithSdkDownload(
  why: string,
  opts: DevServerOptions & { namespace: string; port: number; uiPort: number | 'headless' },
): Promise<RunningServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  let env: Awaited<ReturnType<typeof TestWorkflowEnvironment.createLocal>>;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        namespace: opts.namespace,
        ip: BIND_IP,
        port: opts.port,
        ui: opts.uiPort !== 'headless',
        uiPort: opts.uiPort === 'headless' ? undefined : opts.uiPort,
        dbFilename: opts.dbFile,
        log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
        extraArgs: extraArgs({ ...opts, searchAttributes: [] }),
        searchAttributes: [...(opts.searchAttributes ?? Object.values(searchAttributes))],
      },
    });
  } catch (err) {
    throw new DevServerError(
      `no Temporal CLI: ${why}\nThe SDK's download failed too: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    exited: new Promise<string>(() => undefined), // the SDK owns the process and reports no exit
    output: () => '',
    stop: () => (stopping ??= env.teardown()),
  };
}

async function waitUntilReady(
  address: string,
  namespace: string,
  uiProbe: string | undefined,
  server: RunningServer,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: string | undefined;
  void server.exited.then((how) => (exitedWith = how));
  let lastError = 'no answer yet';
  const fail = (why: string) =>
    new DevServerError(`Temporal dev server on ${address} ${why}; last error: ${lastError}\n${server.output()}`);

  while (
    !(await frontendAnswers(address, namespace).then(
      () => true,
      (err: unknown) => {
        lastError = err instanceof Error ? err.message : String(err);
        return false;
      },
    ))
  ) {
    if (exitedWith) throw fail(exitedWith);
    if (Date.now() > deadline) throw fail(`did not answer within ${timeoutMs} ms`);
    await sleep(250);
  }
  // The UI is served by the same process but starts on its own; wait so a printed URL works at once.
  while (uiProbe && !(await uiAnswers(uiProbe))) {
    if (exitedWith) throw fail(exitedWith);
    if (Date.now() > deadline) throw fail(`served no Web UI at ${uiProbe} within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function frontendAnswers(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } finally {
    await connection.close();
  }
}

async function uiAnswers(uiUrl: string): Promise<boolean> {
  try {
    const response = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
