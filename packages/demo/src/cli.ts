#!/usr/bin/env node
/** `ferry-demo` (`npm run demo`): runs the demo command, one clear line for expected failures. */
import { runAsProcess } from '@ferry/trainer';
import { run, usage } from './demo-command.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return run(argv);
}

runAsProcess('ferry demo', () => main(process.argv.slice(2)));
