// An error the CLI reports as one line, with the exit code scripts can branch on. Every `ldsync`
// command uses the same codes (the README's "Exit codes" table):
//   0 ok · 1 the operation failed · 2 usage (the command line or its input is wrong) ·
//   3 invalid_credentials · 4 invalid_permissions
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  invalid_credentials: 3,
  invalid_permissions: 4,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code for a failure of this error type: 3 and 4 for the token's problems, else 1. */
export function exitCodeForErrorType(type: string | null | undefined): ExitCode {
  if (type === 'invalid_credentials') return EXIT_CODES.invalid_credentials;
  if (type === 'invalid_permissions') return EXIT_CODES.invalid_permissions;
  return EXIT_CODES.failed;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.failed,
  ) {
    super(message);
  }
}

/** The command line (or the input it names) is wrong: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}
