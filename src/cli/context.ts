// Where CLI commands find the database, the token encryption key and Temporal: the environment
// first (DATABASE_URL, LDSYNC_ENCRYPTION_KEY, TEMPORAL_ADDRESS), else what a running `ldsync dev`
// wrote to `<dataDir>/dev-state.json`, else a message saying what to do (or Temporal's defaults).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, dataDir, loadEnv, type Env } from '../config';
import { TokenCipher } from '../crypto/token-cipher';
import { devStatePath as devStateFile, lookupDevState, type DevState } from '../dev/dev-state';
import { ENCRYPTION_KEY_FILE } from '../dev/encryption-key';

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
export function liveDevStack(source: NodeJS.ProcessEnv = process.env): DevState | undefined {
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
  return devStateFile(dataDir(env));
}

function readDevState(env: Env) {
  return lookupDevState(dataDir(env));
}
