/**
 * The train view's worker: everything heavy happens here, so the page stays responsive. It
 * loads the backbone once, computes photos' features in the order they come (a cancel stops
 * between photos), keeps the features it made or found in memory for training, and trains.
 */
import { idbGetMany } from '../idb.js';
import type { FromWorker, ToWorker } from '../protocol.js';
import { BackboneLoadError, type LoadedBackbone, loadBackbone } from './backbone.js';
import { computeFeatures, type FeatureSetup, featureSetup } from './photo-features.js';
import { trainModel } from './train-model.js';

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(message, transfer);

let setup: Promise<FeatureSetup> | undefined;
/** Features by cache key: those computed or found this session (5 KB each for MobileNetV2). */
const known = new Map<string, Float32Array>();
let queue: Promise<void> = Promise.resolve();

/** Runs `job` after the ones before it; a failed job never stops the ones after it. */
function enqueue(job: () => Promise<void>, onError: (message: string) => void): void {
  queue = queue.then(job).catch((error: unknown) => onError((error as Error).message));
}
/** Bumped by a cancel: photo jobs queued before it stop, those sent after it run. */
let generation = 0;

function describe(backbone: LoadedBackbone): string {
  return `${backbone.request.id} (${new URL(backbone.url).host === location.host ? 'this site' : backbone.url})`;
}

async function onMessage(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init': {
      setup = loadBackbone(message.backbone, message.ortBase).then(featureSetup);
      try {
        const s = await setup;
        post({
          type: 'ready',
          backbone: describe(s.backbone),
          featureKey: s.prep.key,
          runtime: 'onnxruntime-web (wasm)',
        });
      } catch (error) {
        const reason =
          error instanceof BackboneLoadError
            ? error.message
            : `the backbone failed: ${(error as Error).message}`;
        post({ type: 'init-error', message: reason });
      }
      return;
    }
    case 'cancel':
      generation++;
      return;
    case 'photos': {
      const jobs = message.jobs;
      const mine = generation;
      enqueue(
        async () => {
          const s = await setup!;
          const left = await computeFeatures(
            s,
            jobs,
            (result) => {
              if ('error' in result) {
                post({
                  type: 'photo',
                  id: result.id,
                  error: result.error,
                  ...(result.hash ? { hash: result.hash } : {}),
                });
                return;
              }
              known.set(result.key, result.features);
              post({
                type: 'photo',
                id: result.id,
                hash: result.hash,
                key: result.key,
                cached: result.cached,
              });
            },
            () => generation !== mine,
          );
          if (left.length > 0) post({ type: 'cancelled', ids: left });
        },
        (reason) => {
          for (const job of jobs) post({ type: 'photo', id: job.id, error: reason });
        },
      );
      return;
    }
    case 'train': {
      const { job } = message;
      enqueue(
        async () => {
          const s = await setup!;
          // After a reload the features are in IndexedDB, not in memory: one read for them all.
          const keys = [...job.train, ...job.val].map((x) => x.key).filter((key) => !known.has(key));
          const stored = await idbGetMany<Float32Array>('features', keys);
          keys.forEach((key, i) => {
            if (stored[i]) known.set(key, stored[i]!);
          });
          const outcome = await trainModel(
            s.backbone,
            job,
            (key) => known.get(key),
            (progress) => post({ type: 'epoch', progress }),
          );
          post({ type: 'trained', outcome }, [outcome.model.buffer as ArrayBuffer]);
        },
        (reason) => post({ type: 'train-error', message: reason }),
      );
      return;
    }
  }
}

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  void onMessage(event.data);
});
