// `ldsync connections validate`: the DX-style connection check. The client's validate() reads one small
// page of each of the seven endpoints; this turns its per-endpoint answers into one verdict with the
// exit code scripts branch on.
import type { EndpointCheck } from '../launchdarkly';

/**
 * Exit codes of `connections validate` (documented in the README):
 * 0 ok (also when only Teams are not in the plan), 3 invalid_credentials, 4 invalid_permissions,
 * 5 another endpoint failed (not_found: wrong base URL; upstream_unavailable, rate_limited, schema_mismatch).
 * 1 and 2 keep their CLI-wide meaning: the check could not run; the command line was wrong.
 */
export const VALIDATE_EXIT_CODES = {
  ok: 0,
  invalid_credentials: 3,
  invalid_permissions: 4,
  other: 5,
} as const;

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
  if (!decisive) return { ok: true, result: 'ok', exitCode: VALIDATE_EXIT_CODES.ok, notes };
  const type = decisive.errorType ?? 'upstream_unavailable';
  return {
    ok: false,
    result: type,
    exitCode:
      type === 'invalid_credentials' || type === 'invalid_permissions'
        ? VALIDATE_EXIT_CODES[type]
        : VALIDATE_EXIT_CODES.other,
    endpoint: decisive.endpoint,
    message: decisive.message,
    notes,
  };
}

function isTeamsNotEntitled(check: EndpointCheck): boolean {
  return !check.ok && check.errorType === 'not_entitled' && TEAMS_ENDPOINT.test(check.endpoint);
}

/** One line per endpoint, then the verdict: `ok`, or `<error type> GET <endpoint>: <message>`. */
export function formatChecks(
  connection: { id: string; baseUrl: string; apiVersion: string },
  checks: EndpointCheck[],
  verdict: ConnectionVerdict,
): string {
  const width = Math.max(...checks.map((c) => label(c).length), 2);
  const lines = [`connection "${connection.id}" (${connection.baseUrl}, API ${connection.apiVersion}):`];
  for (const check of checks) {
    const detail = check.message ?? '';
    lines.push(`  ${label(check).padEnd(width)}  GET ${check.endpoint}${detail ? `  ${detail}` : ''}`);
  }
  for (const note of verdict.notes) lines.push(`note: ${note}`);
  lines.push(verdict.ok ? 'ok' : `${verdict.result} GET ${verdict.endpoint ?? '?'}: ${verdict.message ?? ''}`);
  return lines.join('\n');
}

function label(check: EndpointCheck): string {
  if (check.ok) return check.message?.startsWith('not checked') ? 'skipped' : 'ok';
  return check.errorType ?? 'failed';
}
