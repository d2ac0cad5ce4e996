import { CliError } from '../cli-support.js';

export const usage = 'Usage: ferry export [options]  (not implemented yet)';

export async function run(_argv: string[]): Promise<number> {
  throw new CliError('ferry export is not implemented yet', 1);
}
