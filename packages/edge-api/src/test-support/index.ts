/**
 * `@ferry/edge-api/testing`: start the real runtimes for tests and benchmarks (workerd via
 * wrangler, the Node server as a child process), and the bad-input corpus's "bomb" PNG header.
 * Needs wrangler, a devDependency.
 */

export {
  PACKAGE_DIR,
  type RunningServer,
  startWorkerd,
  type WorkerdOptions,
  type WorkerdServer,
} from '../workerd/start-workerd.js';
export { pngHeaderOnly } from './bad-input-corpus.js';
export { createReference, type Reference } from './reference.js';
export { startNode } from './start-node.js';
