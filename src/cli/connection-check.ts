// `ldsync connections validate`: the DX-style connection check. checkConnection (src/streams) reads
// one small page of each of the seven endpoints; this turns its per-endpoint answers into one verdict
// with the exit code scripts branch on, and into lines for operators.
import type { EndpointCheck } from '../streams';
import { EXIT_CODES, exitCodeForErrorType } from './cli-error';
import { nameConnectionInHints } from './run-summary';

/** Endpoints a plan without Teams may refuse: the sync skips them, so they do not fail the check. */
const TEAMS_ENDPOINT = /^\/api\/v2\/teams(\/|$)/;

export interface ConnectionVerdict {
  ok: boolean;
  /** `ok`, or the error type that decided the verdict */
  result: string;
  exitCode: number;
  /** the endpoint that decided a failed verdict */
  endpoint?: string;
  message?: string;
  notes: string[];
}

export function judgeChecks(checks: EndpointCheck[]): ConnectionVerdict {
  const failures = checks.filter((c) => !c.ok && !isTeamsNotEntitled(c));
  const notes: string[] = [];
  if (checks.some(isTeamsNotEntitled)) {
    notes.push(
      'Teams are not available to this account or token: the teams and team_maintainers streams will be ' +
        'skipped (Teams need a LaunchDarkly plan that includes them)',
    );
  }
  const decisive =
    failures.find((c) => c.errorType === 'invalid_credentials') ??
    failures.find((c) => c.errorType === 'invalid_permissions') ??
    failures[0];
  if (!decisive) return { ok: true, result: 'ok', exitCode: EXIT_CODES.ok, notes };
  const type = decisive.errorType ?? 'upstream_unavailable';
  return {
    ok: false,
    result: type,
    // The CLI-wide codes: 3 invalid_credentials, 4 invalid_permissions, 1 any other failure.
    exitCode: exitCodeForErrorType(type),
    endpoint: decisive.endpoint,
    message: decisive.message,
    notes,
  };
}

function isTeamsNotEntitled(check: EndpointCheck): boolean {
  return !check.ok && check.errorType === 'not_entitled' && TEAMS_ENDPOINT.test(check.endpoint);
}

/**
 * One line per endpoint (its result, and what went wrong when that differs from the verdict), then
 * the verdict: `ok`, or `<error type> GET <endpoint>: <message>`. A failure every endpoint shares
 * (an unreachable base URL) is told once, in the verdict.
 */
export function formatChecks(
  connection: { id: string; baseUrl: string; apiVersion: string },
  checks: EndpointCheck[],
  verdict: ConnectionVerdict,
): string {
  const rows = endpointRows(checks).map((r) => ({
    ...r,
    detail: r.detail === undefined ? undefined : nameConnectionInHints(r.detail, connection.id),
  }));
  const width = Math.max(...rows.map((r) => r.label.length), 2);
  const endpointWidth = Math.max(...rows.map((r) => r.endpoint.length));
  const verdictDetail =
    verdict.message === undefined
      ? undefined
      : nameConnectionInHints(withoutEndpointPrefix(verdict.message), connection.id);
  const lines = [`connection "${connection.id}" (${connection.baseUrl}, API ${connection.apiVersion}):`];
  for (const row of rows) {
    const detail = row.detail === undefined || row.detail === verdictDetail ? '' : `  ${row.detail}`;
    lines.push(
      `  ${row.label.padEnd(width)}  GET ${detail ? row.endpoint.padEnd(endpointWidth) : row.endpoint}${detail}`,
    );
  }
  for (const note of verdict.notes) lines.push(`note: ${note}`);
  lines.push(verdict.ok ? 'ok' : `${verdict.result} GET ${verdict.endpoint ?? '?'}: ${verdictDetail ?? ''}`);
  return lines.join('\n');
}

interface EndpointRow {
  label: string;
  endpoint: string;
  detail?: string;
}

function endpointRows(checks: EndpointCheck[]): EndpointRow[] {
  return checks.map((check) => ({
    label: label(check),
    endpoint: check.endpoint,
    detail: check.message === undefined ? undefined : withoutEndpointPrefix(check.message),
  }));
}

/** `projects (GET /api/v2/projects): the connection failed ...` → `the connection failed ...` (the line names the endpoint). */
function withoutEndpointPrefix(message: string): string {
  return message.replace(/^[\w ]+ \(GET [^)]*\): /, '');
}

function label(check: EndpointCheck): string {
  if (check.notReached) return 'not checked';
  if (check.ok) return check.message?.startsWith('not checked') ? 'skipped' : 'ok';
  return check.errorType ?? 'failed';
}
