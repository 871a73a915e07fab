// Environment variables (contract in DESIGN.md), validated once at the edge.
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from './shared';

/** The repository root: `.data/` and `.tools/` live here unless overridden. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  LDSYNC_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  LDSYNC_ENCRYPTION_KEY: z.string().min(1).optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  LDSYNC_DATA_DIR: z.string().min(1).optional(),
  LDSYNC_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** `json` (the default of `ldsync worker`) or `pretty` (one readable line; the default of `ldsync dev`) */
  LDSYNC_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** `IP:port` of the Prometheus endpoint (`/metrics`) of a worker process, e.g. `0.0.0.0:9464`; unset: none */
  LDSYNC_METRICS_ADDRESS: z
    .string()
    .refine(isSocketAddress, 'expected IP:port, e.g. 0.0.0.0:9464 or [::]:9464 (an IP address, not a host name)')
    .optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws a ConfigError that names each bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  return parsed.data;
}

/** `IPv4:port` or `[IPv6]:port`: what the Temporal runtime's Prometheus exporter can bind. */
export function isSocketAddress(value: string): boolean {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!match) return false;
  const port = Number(match[3]);
  const ip = match[1] ?? match[2] ?? '';
  return port >= 0 && port <= 65535 && (match[1] !== undefined ? net.isIPv6(ip) : net.isIPv4(ip));
}

/** LDSYNC_METRICS_ADDRESS alone, validated (so a bad unrelated variable never blocks a worker's metrics). */
export function metricsAddressFromEnv(source: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = source.LDSYNC_METRICS_ADDRESS?.trim();
  if (!value) return undefined;
  if (!isSocketAddress(value)) {
    throw new ConfigError(
      `invalid environment: LDSYNC_METRICS_ADDRESS: expected IP:port, e.g. 0.0.0.0:9464 or [::]:9464 (got "${value}")`,
    );
  }
  return value;
}

/** Where local state lives (embedded Postgres, Temporal's SQLite file, the local encryption key). */
export function dataDir(env: Env): string {
  return path.resolve(env.LDSYNC_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
}

/** Where project-local tools are installed (the pinned `temporal` CLI). */
export function toolsDir(): string {
  return path.join(PROJECT_ROOT, '.tools');
}
