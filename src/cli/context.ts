// Where CLI commands find the database, the token encryption key and Temporal: the environment
// first (DATABASE_URL, LDSYNC_ENCRYPTION_KEY, TEMPORAL_ADDRESS), else what a running `ldsync dev`
// wrote to `<dataDir>/dev-state.json`, else a message saying what to do (or Temporal's defaults).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, dataDir, loadEnv, type Env } from '../config';
import { TokenCipher } from '../crypto/token-cipher';

export const DEV_STATE_FILE = 'dev-state.json';
export const ENCRYPTION_KEY_FILE = 'encryption.key';

// Only the fields these commands need; `ldsync dev` owns the file and writes more.
const DevStateFields = z.object({
  pid: z.number().int().optional(),
  databaseUrl: z.string().min(1),
  encryptionKeyFile: z.string().min(1).optional(),
  temporalAddress: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  uiUrl: z.string().optional(),
});
type DevStateFields = z.infer<typeof DevStateFields>;

/** DATABASE_URL, else the running `ldsync dev`'s database. */
export function resolveDatabaseUrl(env: Env = loadEnv()): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const state = readDevState(env);
  if (state.kind === 'live') return state.state.databaseUrl;
  throw new ConfigError(
    `no database: set DATABASE_URL, or start \`ldsync dev\` (which writes ${devStatePath(env)})` +
      (state.kind === 'stale' ? `; the state file there is from an ldsync dev that has stopped` : '') +
      (state.kind === 'invalid' ? `; the state file there is unreadable (${state.problem})` : ''),
  );
}

/** Variables that say where Temporal is; when one is set, `ldsync dev`'s address is not used. */
const TEMPORAL_LOCATION_VARS = ['TEMPORAL_ADDRESS', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_API_KEY'];

/**
 * The environment to read Temporal's configuration from: this process's, plus the address and
 * namespace of a running `ldsync dev` (which may use other ports than 7233) when nothing in the
 * environment says where Temporal is.
 */
export function resolveTemporalEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (TEMPORAL_LOCATION_VARS.some((name) => source[name])) return source;
  const dev = liveDevStack(source);
  if (!dev?.temporalAddress) return source;
  return {
    ...source,
    TEMPORAL_ADDRESS: dev.temporalAddress,
    TEMPORAL_NAMESPACE: source.TEMPORAL_NAMESPACE || dev.namespace || 'default',
  };
}

/** What a running `ldsync dev` says about its stack, or undefined when none runs. */
export function liveDevStack(source: NodeJS.ProcessEnv = process.env): DevStateFields | undefined {
  let env: Env;
  try {
    env = loadEnv(source);
  } catch {
    return undefined;
  }
  const state = readDevState(env);
  return state.kind === 'live' ? state.state : undefined;
}

/** LDSYNC_ENCRYPTION_KEY, else the key file named by `ldsync dev`'s state, else `<dataDir>/encryption.key`. */
export function resolveEncryptionKey(env: Env = loadEnv()): string {
  if (env.LDSYNC_ENCRYPTION_KEY) return env.LDSYNC_ENCRYPTION_KEY;
  const state = readDevState(env);
  const candidates = [
    state.kind === 'live' ? state.state.encryptionKeyFile : undefined,
    path.join(dataDir(env), ENCRYPTION_KEY_FILE),
  ].filter((file): file is string => Boolean(file));
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const key = readFileSync(file, 'utf8').trim();
    if (key) return key;
  }
  throw new ConfigError(
    `no encryption key for stored tokens: set LDSYNC_ENCRYPTION_KEY (64 hex characters, e.g. from \`openssl rand -hex 32\`), ` +
      `or run \`ldsync dev\` once to create ${path.join(dataDir(env), ENCRYPTION_KEY_FILE)}`,
  );
}

/** The cipher for stored tokens, with a message naming where a malformed key came from. */
export function resolveTokenCipher(env: Env = loadEnv()): TokenCipher {
  const source = env.LDSYNC_ENCRYPTION_KEY ? 'LDSYNC_ENCRYPTION_KEY' : 'the local encryption key file';
  return TokenCipher.fromKeyText(resolveEncryptionKey(env), source);
}

export function devStatePath(env: Env): string {
  return path.join(dataDir(env), DEV_STATE_FILE);
}

type DevStateLookup =
  | { kind: 'live'; state: DevStateFields }
  | { kind: 'absent' }
  | { kind: 'stale' }
  | { kind: 'invalid'; problem: string };

function readDevState(env: Env): DevStateLookup {
  const file = devStatePath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { kind: 'absent' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'not JSON' };
  }
  const parsed = DevStateFields.safeParse(json);
  if (!parsed.success) {
    return { kind: 'invalid', problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  // A file left by a killed `ldsync dev` names a database that is no longer running.
  if (parsed.data.pid !== undefined && !processIsAlive(parsed.data.pid)) return { kind: 'stale' };
  return { kind: 'live', state: parsed.data };
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
