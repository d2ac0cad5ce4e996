/** An expected failure (misuse, bad input): printed as one clear line, no stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * Runs a command's body as a process entry point: a CliError becomes one `prefix: message` line
 * and its exit code, anything else its stack and exit code 1. Shared by `ferry` and `ferry-demo`.
 */
export function runAsProcess(prefix: string, body: () => Promise<number>): void {
  const fail = (error: unknown): number => {
    if (error instanceof CliError) {
      process.stderr.write(`${prefix}: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `${prefix}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  };
  body().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = fail(error);
    },
  );
}
