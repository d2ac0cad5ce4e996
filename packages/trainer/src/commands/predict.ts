import { CliError } from '../cli-support.js';

export const usage = 'Usage: ferry predict [options]  (not implemented yet)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('ferry predict is not implemented yet', 1);
}
