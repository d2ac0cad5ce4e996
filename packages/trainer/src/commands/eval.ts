import { CliError } from '../cli-support.js';

export const usage = 'Usage: ferry eval [options]  (not implemented yet)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('ferry eval is not implemented yet', 1);
}
