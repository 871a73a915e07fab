// What an operator should do about each error type, in one place: the workflow's current details,
// its failure message and the CLI all say the same. Pure data (workflow code imports it).
import type { ErrorType } from './shared';

export function remedyFor(type: string, connectionId: string): string {
  const id = connectionId;
  const remedies: Record<ErrorType, string> = {
    invalid_credentials:
      `create a LaunchDarkly Reader token, store it with \`ldsync connections add ${id} --token-env VAR\`, ` +
      `check it with \`ldsync connections validate ${id}\`, then \`ldsync sync ${id}\``,
    invalid_permissions: `give the token the Reader role (or lift an IP allow-list), then \`ldsync sync ${id}\``,
    not_entitled: 'nothing: the account has no Teams, so the teams streams are skipped',
    rate_limited: `run fewer syncs against this LaunchDarkly account at once, then \`ldsync sync ${id}\``,
    upstream_unavailable:
      `check that the worker reaches the connection's base URL (\`ldsync connections list\`), ` +
      `then \`ldsync sync ${id}\``,
    schema_mismatch: `check the connection's API version (\`ldsync connections list\`) and report the message`,
    not_found: `check the connection's base URL (\`ldsync connections list\`)`,
    connection_not_found: `register it with \`ldsync connections add ${id} --token-env VAR\``,
    sync_already_running: `wait for the running sync, or stop it with \`ldsync cancel ${id}\``,
    database_unavailable: `check that the worker reaches Postgres (DATABASE_URL), then \`ldsync sync ${id}\``,
    invalid_input: 'start syncConnection with one JSON object: {"connectionId": "<id>"}',
    token_undecryptable:
      `run the worker with the LDSYNC_ENCRYPTION_KEY the token was stored with, or store the token again ` +
      `with \`ldsync connections add ${id} --token-env VAR\``,
    run_closed: `nothing: the run had already ended; start a new one with \`ldsync sync ${id}\``,
  };
  return remedies[type as ErrorType] ?? `see the worker's logs, then \`ldsync sync ${id}\``;
}
