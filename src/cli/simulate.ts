// `ldsync simulate`: runs the LaunchDarkly API simulator standalone until Ctrl-C / SIGTERM, and
// prints its base URL and the reader token it accepts. Options are validated with zod and every
// bad value is reported in one line that names the option.
import { type Command } from 'commander';
import { z } from 'zod';
import { onStopSignal } from '../worker/signals';
import { type SimulatorOptions, startSimulator } from '../simulator';
import { UsageError } from './cli-error';

export const DEFAULT_SIMULATE_PORT = 8765;

const count = (min: number) =>
  z.coerce
    .number({ error: `expected an integer >= ${min}` })
    .int(`expected an integer >= ${min}`)
    .min(min, `expected an integer >= ${min}`);
const rate = z.coerce
  .number({ error: 'expected a number from 0 to 1' })
  .min(0, 'expected a number from 0 to 1')
  .max(1, 'expected a number from 0 to 1');
const pattern = z.string().transform((value, ctx) => {
  try {
    return new RegExp(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a regular expression' });
    return z.NEVER;
  }
});

const SimulateOptions = z.object({
  port: count(0).max(65535, 'expected a port number (0 picks a free one)').default(DEFAULT_SIMULATE_PORT),
  host: z.string().min(1).default('127.0.0.1'),
  seed: count(0).optional(),
  projects: count(0).optional(),
  environments: count(0).optional(),
  flags: count(0).optional(),
  teams: count(0).optional(),
  membersPerTeam: count(0).optional(),
  token: z.string().min(1, 'expected a non-empty token').optional(),
  latency: count(0).optional(),
  rateLimit: count(0).optional(),
  routeRateLimit: count(0).optional(),
  rateLimitWindow: count(1).optional(),
  rateLimitHeaders: z.enum(['reset', 'retry-after', 'both', 'none']).optional(),
  faultRate: rate.optional(),
  resetRate: rate.optional(),
  slowRate: rate.optional(),
  slowMs: count(0).optional(),
  malformedRate: rate.optional(),
  wrongTypeRate: rate.optional(),
  faultRoutes: pattern.optional(),
  teamsEntitlement: z
    .enum(['entitled', '403', '404', '405'])
    .transform((value) => (value === 'entitled' ? value : (Number(value) as 403 | 404 | 405)))
    .optional(),
  apiVersion: z.enum(['20240415', '20220603']).optional(),
  overLimit: z.enum(['clamp', 'reject']).optional(),
});
type SimulateOptions = z.infer<typeof SimulateOptions>;

const FLAG_NAMES: Record<string, string> = {
  membersPerTeam: '--members-per-team',
  rateLimit: '--rate-limit',
  routeRateLimit: '--route-rate-limit',
  rateLimitWindow: '--rate-limit-window',
  rateLimitHeaders: '--rate-limit-headers',
  faultRate: '--fault-rate',
  resetRate: '--reset-rate',
  slowRate: '--slow-rate',
  slowMs: '--slow-ms',
  malformedRate: '--malformed-rate',
  wrongTypeRate: '--wrong-type-rate',
  faultRoutes: '--fault-routes',
  teamsEntitlement: '--teams-entitlement',
  apiVersion: '--api-version',
  overLimit: '--over-limit',
};

/** Validates raw commander options; throws one UsageError (exit 2) naming every bad option. */
export function parseSimulateOptions(raw: Record<string, unknown>): SimulateOptions {
  const parsed = SimulateOptions.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const flag = FLAG_NAMES[name] ?? `--${name}`;
    return `${flag} ${JSON.stringify(raw[name])}: ${issue.message}`;
  });
  throw new UsageError(`invalid option${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function toSimulatorOptions(options: SimulateOptions): SimulatorOptions {
  return defined<SimulatorOptions>({
    port: options.port,
    host: options.host,
    seed: options.seed,
    projects: options.projects,
    environments: options.environments,
    flags: options.flags,
    teams: options.teams,
    membersPerTeam: options.membersPerTeam,
    readerToken: options.token,
    latencyMs: options.latency,
    rateLimit: defined({
      globalPerWindow: options.rateLimit,
      routePerWindow: options.routeRateLimit,
      windowMs: options.rateLimitWindow,
      send429Headers: options.rateLimitHeaders,
    }),
    faults: defined({
      errorRate: options.faultRate,
      resetRate: options.resetRate,
      slowRate: options.slowRate,
      slowMs: options.slowMs,
      malformedRate: options.malformedRate,
      wrongTypeRate: options.wrongTypeRate,
      routes: options.faultRoutes,
    }),
    teamsEntitlement: options.teamsEntitlement,
    defaultApiVersion: options.apiVersion,
    overLimit: options.overLimit,
  });
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run the LaunchDarkly API simulator (a generated account over HTTP) until Ctrl-C')
    .option('--port <N>', `port to listen on (0 picks a free one)`, String(DEFAULT_SIMULATE_PORT))
    .option('--host <HOST>', 'address to listen on', '127.0.0.1')
    .option('--seed <S>', 'seed of the generated account (same seed, same account)')
    .option('--projects <P>', 'projects (default 3)')
    .option('--environments <E>', 'environments per project (default 3)')
    .option('--flags <F>', 'flags per project, archived ones included (default 25)')
    .option('--teams <T>', 'teams (default 4)')
    .option('--members-per-team <M>', 'maintainers per team (default 2)')
    .option('--token <T>', 'the reader token the simulator accepts (default api-sim-reader-...)')
    .option('--latency <MS>', 'fixed delay before every response')
    .option('--rate-limit <N>', 'global requests per window before 429s')
    .option('--route-rate-limit <N>', 'requests per route per window before 429s')
    .option('--rate-limit-window <MS>', 'rate-limit window (default 10000)')
    .option('--rate-limit-headers <MODE>', 'what a 429 carries: reset, retry-after, both or none')
    .option('--fault-rate <X>', 'share of requests answered with a 500 or 503 (0 to 1)')
    .option('--reset-rate <X>', 'share of requests whose connection is dropped')
    .option('--slow-rate <X>', 'share of requests delayed by --slow-ms')
    .option('--slow-ms <MS>', 'delay of a slow response (default 2000)')
    .option('--malformed-rate <X>', 'share of 200 responses with a truncated JSON body')
    .option('--wrong-type-rate <X>', 'share of 200 responses with one field of the wrong type')
    .option('--fault-routes <REGEX>', 'only paths matching this pattern get faults')
    .option('--teams-entitlement <E>', 'entitled, or the status teams endpoints answer (403, 404, 405)')
    .option('--api-version <V>', 'API version when a request sends no LD-API-Version (20240415 or 20220603)')
    .option('--over-limit <MODE>', 'a limit above the maximum is clamped or rejected (clamp, reject)')
    .action(async (raw: Record<string, unknown>) => {
      const options = parseSimulateOptions(raw);
      const simulator = await startSimulator(toSimulatorOptions(options)).catch((err: unknown) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new Error(`port ${options.port} is already in use; choose another with --port`);
        throw err;
      });
      const counts = simulator.counts();
      console.log(`LaunchDarkly simulator listening on ${simulator.baseUrl}`);
      console.log(`reader token:        ${simulator.readerToken}`);
      console.log(`no-permission token: ${simulator.noPermissionToken}`);
      console.log(
        `account: ${counts.projects} projects, ${counts.environments} environments, ${counts.flags} flags ` +
          `(${counts.archivedFlags} archived), ${counts.tags} tags, ${counts.teams} teams ` +
          `(seed ${options.seed ?? 1})`,
      );
      console.log(`try: curl -H 'Authorization: ${simulator.readerToken}' ${simulator.baseUrl}/api/v2/projects`);
      console.log('Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        const dispose = onStopSignal(() => {
          dispose();
          resolve();
        });
      });
      await simulator.close();
      console.log('simulator stopped');
    });
}
