/** The edge API's CLIs as a user starts them, without the developer's own FERRY_MODEL/PORT/HOST. */
import { runNode } from '@ferry/fixtures/run-node';

export function runCli(script: string, args: string[], until?: RegExp) {
  // Empty values: the developer's own settings must not leak in (empty counts as unset).
  const env = { FERRY_MODEL: '', PORT: '', HOST: '', FERRY_STATIC_DIR: '' };
  return runNode(script, args, { env, ...(until ? { until } : {}) });
}
