#!/usr/bin/env node
/** `ferry-demo` (`npm run demo`): runs the demo command, one clear line for expected failures. */
import { CliError } from '@ferry/trainer';
import { run, usage } from './demo-command.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`ferry demo: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `ferry demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
