// One structured logger for the CLI, worker and simulator (pino: fast, JSON by default, and
// silent-able in tests). Never log request headers: they carry the LaunchDarkly token.
//
// Two formats: `json` (the default; what `ldsync worker` writes for log collectors) and `pretty`
// (what `ldsync dev` shows in its terminal): one short line per entry, e.g.
//   07:35:46.059 WARN  temporal/worker Activity failed  workflowId=ldsync-demo activityType=syncTeams attempt=1 durationMs=1683 error=upstream_unavailable
// The pretty format is a few lines here rather than pino-pretty: what makes Temporal's entries
// readable is choosing the few fields worth showing (and never a task token), which pino-pretty
// would need as the same hand-written function, plus a dozen dependencies.
import pino from 'pino';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'pretty';

const REDACT = ['token', '*.token', 'headers.authorization', '*.headers.authorization'];

export function createLogger(
  level: string = process.env.LDSYNC_LOG_LEVEL ?? 'info',
  name = 'ldsync',
  format: LogFormat = logFormatFromEnv(),
): Logger {
  // Temporal's worker logs failures under `error`: serialized like `err`, so their message is kept.
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: REDACT,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (format === 'pretty') return pino(options, prettyStream(process.stdout));
  return pino(options);
}

/** LDSYNC_LOG_FORMAT when it is `json` or `pretty`, else `json`. */
export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.LDSYNC_LOG_FORMAT === 'pretty' ? 'pretty' : 'json';
}

/** A pino destination that writes each JSON entry as one readable line. */
export function prettyStream(out: { write(line: string): unknown }): pino.DestinationStream {
  return { write: (line: string) => void out.write(`${formatLogLine(line)}\n`) };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** The fields shown, in this order, when an entry has them; every other field is left out. */
const KEY_FIELDS = [
  'workflowId',
  'activityType',
  'attempt',
  'connectionId',
  'stream',
  'scope',
  'state',
  'signal',
  'durationMs',
  'url',
  'port',
];

const MAX_MESSAGE = 160;
const MAX_VALUE = 120;

/** `HH:MM:SS.mmm LEVEL component  message  key=value …` from one pino JSON line. */
export function formatLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const where = [entry.component, entry.sdkComponent].filter((c) => typeof c === 'string' && c).join('/');
  const parts = [time, level];
  if (where) parts.push(where);
  parts.push(shortMessage(typeof entry.msg === 'string' ? entry.msg : ''));
  const fields: string[] = [];
  for (const key of KEY_FIELDS) {
    const value = entry[key];
    if (value === undefined || value === null || value === '' || typeof value === 'object') continue;
    fields.push(`${key}=${quote(String(value))}`);
  }
  // A worker's own lines (state changes) name their task queue; an activity's name its workflow.
  if (typeof entry.taskQueue === 'string' && entry.workflowId === undefined)
    fields.push(`taskQueue=${entry.taskQueue}`);
  const error = errorText(entry.err ?? entry.error ?? entry.failure);
  if (error) fields.push(`error=${quote(error)}`);
  return [parts.join(' '), ...(fields.length ? [fields.join(' ')] : [])].join('  ');
}

/** The first line, shortened; `(+N lines)` says how much was left out. */
function shortMessage(message: string): string {
  const lines = message.split('\n');
  let first = (lines[0] ?? '').trim();
  if (first.length > MAX_MESSAGE) first = `${first.slice(0, MAX_MESSAGE - 1)}…`;
  return lines.length > 1 ? `${first} (+${lines.length - 1} lines)` : first;
}

function errorText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  const err = value as { type?: unknown; message?: unknown; cause?: unknown };
  const message = typeof err.message === 'string' ? err.message : undefined;
  const type = typeof err.type === 'string' ? err.type : undefined;
  const cause = errorText(err.cause);
  const text = [type, message].filter(Boolean).join(': ') || cause;
  return text ? text.split('\n')[0] : undefined;
}

function quote(value: string): string {
  const short = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
  return /[\s"=]/.test(short) ? JSON.stringify(short) : short;
}
