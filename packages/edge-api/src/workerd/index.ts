/**
 * `@ferry/edge-api/workerd`: run the Workers build of the API in local workerd on any model
 * file (`startWorkerd`). Needs wrangler (a devDependency of this package) and this package's
 * sources, i.e. the monorepo checkout.
 */
export {
  createWorkerEntry,
  PACKAGE_DIR,
  type RunningServer,
  startWorkerd,
  type WorkerdOptions,
  type WorkerdServer,
  type WorkerEntry,
} from './start-workerd.js';
