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
  /**
   * How long one activity attempt rides out an unreachable Postgres (retrying while it heartbeats) before
   * failing as `database_unavailable`: whole seconds, 0 = no retry inside the activity; default 300
   */
  LDSYNC_DATABASE_RETRY_SECONDS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'a whole number of seconds (0: no retry inside the activity)')
    .transform(Number)
    .optional(),
  /** Activities one worker process runs at once (the SDK's `maxConcurrentActivityTaskExecutions`; SDK default 100) */
  LDSYNC_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Workflow tasks one worker process runs at once (`maxConcurrentWorkflowTaskExecutions`; SDK default 40, at least 2) */
  LDSYNC_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
  /**
   * Requests per second one worker process sends to one LaunchDarkly connection, at most (a cap of its
   * own on top of the X-Ratelimit-* headers; N workers send up to N × this); unset: headers only
   */
  LDSYNC_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
  /**
   * Activities per second the Temporal server hands out on the task queue to all workers together
   * (`maxTaskQueueActivitiesPerSecond`; every worker should set the same value); unset: no limit
   */
  LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND: z.coerce.number().positive().max(100_000).optional(),
  /**
   * `otlp`: the worker traces workflows and activities (@temporalio/interceptors-opentelemetry) and
   * exports the spans over OTLP/HTTP to the standard OTEL_EXPORTER_OTLP_* endpoint; `off` (default): none
   */
  LDSYNC_TRACING: z.enum(['off', 'otlp']).default('off'),
  /** OTLP/HTTP traces URL as is, e.g. `http://collector:4318/v1/traces` (OpenTelemetry's standard variable) */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** OTLP/HTTP base URL, `/v1/traces` appended (standard); both unset: `http://localhost:4318/v1/traces` */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** The `service.name` of the worker's spans (standard); default `ldsync-worker` */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
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

/** Where local state lives (embedded Postgres, Temporal's SQLite file, the local encryption key). */
export function dataDir(env: Env): string {
  return path.resolve(env.LDSYNC_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
}

/** Where project-local tools are installed (the pinned `temporal` CLI). */
export function toolsDir(): string {
  return path.join(PROJECT_ROOT, '.tools');
}
