#!/usr/bin/env node
/**
 * `ferry` entry point: dispatches to one module per command under ./commands. Each command
 * module exports `run(argv): Promise<number>` returning the process exit code, and `usage`.
 */
import { CliError, runAsProcess } from './cli-support.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  train: {
    summary: 'fine-tune a pretrained CNN on a folder of labelled photos',
    load: () => import('./commands/train.js'),
  },
  eval: {
    summary: 'evaluate a trained run on a folder of labelled photos',
    load: () => import('./commands/eval.js'),
  },
  export: {
    summary: 'export a trained run to a self-describing ONNX file',
    load: () => import('./commands/export.js'),
  },
  predict: {
    summary: 'classify images with an exported ONNX model',
    load: () => import('./commands/predict.js'),
  },
};

export interface CommandModule {
  usage: string;
  run(argv: string[]): Promise<number>;
}

function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: ferry <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `ferry <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${mainUsage()}\n`);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    const { FERRY_VERSION } = await import('@ferry/core');
    process.stdout.write(`${FERRY_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (command === 'demo') {
    // The demo trains and then serves through the edge API, a package that depends on this one.
    process.stderr.write(
      'ferry: the demo is its own command now, `npm run demo` (or `npx ferry-demo`), with the same options\n',
    );
    return 2;
  }
  if (!entry) {
    process.stderr.write(`ferry: unknown command "${command}"\n\n${mainUsage()}\n`);
    return 2;
  }
  const module = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${module.usage}\n`);
    return 0;
  }
  try {
    return await module.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`ferry ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

runAsProcess('ferry', () => main(process.argv.slice(2)));
