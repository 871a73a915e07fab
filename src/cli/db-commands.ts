// `ldsync migrate` and `ldsync connections add|list|remove`. Options are validated with zod and
// every problem is reported in one line; the token is read from an environment variable or stdin
// (never from an argument, which would land in shell history and `ps`) and is never printed.
import { type Command } from 'commander';
import { z } from 'zod';
import {
  BaseUrlSchema,
  ConnectionIdSchema,
  DEFAULT_BASE_URL,
  addConnection,
  listConnections,
  removeConnection,
} from '../db/connections';
import { migrate } from '../db/migrate';
import { unreachableReason } from '../launchdarkly';
import { API_VERSIONS, DEFAULT_API_VERSION } from '../shared';
import { DATA_TABLES } from '../streams';
import { resolveDatabaseUrl, resolveTokenCipher } from './context';
import { UsageError } from './cli-error';
import { connectionNotFound, formatTable, withPool } from './common';

export function registerDbCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations (idempotent; safe to run from several processes at once)')
    .action(async () => {
      const { applied } = await migrate(resolveDatabaseUrl());
      console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    });

  const connections = connectionsCommand(program);

  connections
    .command('add')
    .description('register a LaunchDarkly connection (or update it); the token is stored encrypted')
    .argument('<id>', 'connection id: lowercase letters, digits, ".", "_" or "-"')
    .option('--token-env <VAR>', 'read the API access token from this environment variable')
    .option('--token-stdin', 'read the API access token from standard input')
    .option('--base-url <URL>', 'LaunchDarkly base URL', DEFAULT_BASE_URL)
    .option('--api-version <V>', `LD-API-Version to send (${API_VERSIONS.join(' or ')})`, DEFAULT_API_VERSION)
    .option('--name <NAME>', 'display name (defaults to the id)')
    .option('--no-check', 'do not check that something answers at the base URL')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOrExplain(AddOptions, { id, ...raw });
      const token = opts.tokenEnv !== undefined ? tokenFromEnv(opts.tokenEnv) : await tokenFromStdin();
      const cipher = resolveTokenCipher();
      await withPool(async (pool) => {
        const { connection, created } = await addConnection(pool, cipher, {
          id: opts.id,
          name: opts.name,
          baseUrl: opts.baseUrl,
          apiVersion: opts.apiVersion,
          token,
        });
        console.log(
          `${created ? 'added' : 'updated'} connection "${connection.id}" (${connection.baseUrl}, API ${connection.apiVersion})`,
        );
        // Stored either way (the host may be down for now); say so before the first sync finds out.
        const unreachable = opts.check ? await unreachableReason(connection.baseUrl) : null;
        if (unreachable) {
          console.error(
            `ldsync: warning: nothing answers at ${connection.baseUrl} (${unreachable}); check --base-url, ` +
              `then run \`ldsync connections validate ${connection.id}\``,
          );
        } else {
          console.log(`check the token with \`ldsync connections validate ${connection.id}\``);
        }
      });
    });

  connections
    .command('list')
    .description('list connections with their latest run')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withPool(async (pool) => {
        const items = await listConnections(pool);
        if (opts.json) {
          console.log(JSON.stringify(items, null, 2));
          return;
        }
        if (items.length === 0) {
          console.log('no connections; add one with `ldsync connections add <id> --token-env VAR`');
          return;
        }
        console.log(
          formatTable([
            ['id', 'name', 'base url', 'api version', 'last run', 'last run started'],
            ...items.map((c) => [
              c.id,
              c.name,
              c.baseUrl,
              c.apiVersion,
              c.lastRun?.status ?? '-',
              c.lastRun ? c.lastRun.startedAt.toISOString() : '-',
            ]),
          ]),
        );
      });
    });

  connections
    .command('remove')
    .description('remove a connection and its stored token (its synced data and run history stay unless --purge)')
    .argument('<id>', 'connection id')
    .option('--purge', "also delete the connection's rows from the launchdarkly tables and its run history")
    .action(async (rawId: string, opts: { purge?: boolean }) => {
      const id = parseOrExplain(ConnectionIdSchema, rawId, 'connection id');
      await withPool(async (pool) => {
        const { removed, purgedRows } = await removeConnection(
          pool,
          id,
          opts.purge === true ? { purge: { dataTables: DATA_TABLES } } : {},
        );
        if (!removed && purgedRows === 0) throw connectionNotFound(id);
        const what = removed ? `removed connection "${id}"` : `connection "${id}" did not exist`;
        console.log(opts.purge ? `${what}; purged ${purgedRows} rows` : `${what}; its synced data and runs are kept`);
      });
    });
}

/** The `connections` command group, created once (other modules add subcommands such as `validate`). */
export function connectionsCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'connections') ??
    program.command('connections').description('manage LaunchDarkly connections')
  );
}

const AddOptions = z
  .object({
    id: ConnectionIdSchema,
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'takes the name of an environment variable, not the token itself')
      .optional(),
    tokenStdin: z.boolean().optional(),
    baseUrl: BaseUrlSchema,
    apiVersion: z.enum(API_VERSIONS, { error: `must be one of ${API_VERSIONS.join(', ')}` }),
    name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    check: z.boolean(),
  })
  .refine((o) => (o.tokenEnv !== undefined) !== (o.tokenStdin === true), {
    message: 'give exactly one of --token-env VAR or --token-stdin',
  });

const OPTION_LABELS: Record<string, string> = {
  id: 'connection id',
  tokenEnv: '--token-env',
  baseUrl: '--base-url',
  apiVersion: '--api-version',
  name: '--name',
};

/** Parses or throws one line naming each bad option (a usage error: exit 2). */
function parseOrExplain<S extends z.ZodType>(schema: S, input: unknown, label?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length ? String(issue.path[0]) : undefined;
    const where = field ? (OPTION_LABELS[field] ?? field) : label;
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  throw new UsageError(problems.join('; '));
}

function tokenFromEnv(variable: string): string {
  const token = process.env[variable]?.trim();
  if (!token)
    throw new UsageError(`environment variable ${variable} is not set or empty (--token-env names the variable)`);
  return token;
}

async function tokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('paste the API access token, then press Enter and Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const token = Buffer.concat(chunks).toString('utf8').trim();
  if (!token) throw new UsageError('--token-stdin: standard input was empty');
  if (/\s/.test(token))
    throw new UsageError('--token-stdin: standard input must hold just the token (it contains spaces or lines)');
  return token;
}
