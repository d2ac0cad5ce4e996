/**
 * `features` mode's fast path: run the frozen extractor once per image and view, and keep the
 * pooled features on disk keyed by file content hash + backbone + transform + view, so later
 * runs with other head settings never touch the backbone again.
 *
 * Every file is read and decoded once for all its views (on the transform pool's worker
 * threads), and the backbone runs in batches that overlap the decoding of the next images:
 * the consumer hands a full batch to the runner and keeps pulling decoded images while it runs
 * (at most two batches queued), and cache files are written without holding up either.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeRuleForPipeline, type Normalization, type TransformStep } from '@ferry/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Sample } from '../data/dataset.js';
import { MIRROR_VIEW } from '../data/feature-cache-files.js';
import type { SkippedFile } from '../data/loader.js';
import { type PhotoViewResult, type PhotoViewsJob, runPhotoViewsJob } from '../data/photo-views-job.js';
import { startPrefetchMap } from '../data/prefetch.js';
import type { TransformPool } from '../data/transform-pool.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { type FeatureRunner, tfjsFeatureRunner } from './feature-runner.js';

type Tf = typeof tfTypes;

/**
 * Everything that makes a cached feature vector besides the photo's bytes (which name the file):
 * change any of them and the run reads from a fresh directory.
 */
export interface FeatureCacheKeyParts {
  /** Hash of the backbone's model.json + weights. */
  backboneHash: string;
  featureLayer: string;
  normalization: Normalization;
  evalPipeline: readonly TransformStep[];
  trainPipeline: readonly TransformStep[];
  /** What decoded the pixels: the JPEG wasm's sha256 and sharp's version (decode.ts). */
  decoders: { jpeg: string; other: string };
  /**
   * The code between bytes and features: core's transforms and decode rule, the trainer's
   * decoding and @ferry/model's backbone converter (codeIdentity), and the runtimes' versions.
   */
  code: string;
}

export function featureCacheKey(parts: FeatureCacheKeyParts): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 20);
}

/** sha256 over a model.json and its weight shards: the backbone's identity in cache keys. */
export async function hashModelFiles(modelJson: string): Promise<string> {
  const hash = createHash('sha256');
  const text = await readFile(modelJson);
  hash.update(text);
  const manifest = JSON.parse(text.toString('utf8')) as { weightsManifest?: { paths: string[] }[] };
  for (const group of manifest.weightsManifest ?? [])
    for (const p of group.paths) hash.update(await readFile(join(modelJson, '..', p)));
  return hash.digest('hex');
}

export interface FeatureRow {
  sample: Sample;
  hash: string;
  view: number;
  features: Float32Array;
}

/** Which views of which photos to read or compute, and how: everything a photo job needs. */
export interface ViewSourceOptions {
  /** Directory of this cache key. */
  dir: string;
  evalPipeline: readonly TransformStep[];
  trainPipeline: readonly TransformStep[];
  normalization: Normalization;
  seed: number;
  /** Views per sample: 0 = eval pipeline; 1..augViews = seeded train-pipeline views. */
  augViews: number;
  /** Also the plain view mirrored left to right (view MIRROR_VIEW): one flip, no resampling. */
  mirrorView?: boolean;
  /**
   * Samples that get the plain view only (the val photos), extracted in the same stream as the
   * rest: one pipeline that never drains between train and val photos.
   */
  plainViewOnly?: ReadonlySet<Sample>;
  /** Worker threads for read + decode + transforms; in-process without one. */
  pool?: TransformPool;
  /** Photos in flight (posted, decoding, or decoded and not yet consumed). */
  lookahead: number;
  /**
   * Input buffers the backbone queue is done with; each photo job takes a few back to write its
   * views into (photo-views-job.ts), so a run allocates about `lookahead` of them, not one per view.
   */
  spareInputs?: ArrayBuffer[];
}

export interface ExtractOptions extends Omit<ViewSourceOptions, 'lookahead'> {
  tf: Tf;
  extractor: tfTypes.LayersModel;
  /** Runs the extractor (onnxruntime-node or tfjs); default tfjs on the current backend. */
  runner?: FeatureRunner;
  batchSize: number;
  concurrency: number;
  onSkip: (s: SkippedFile) => void;
  onBatch?: (done: number, total: number, cached: number) => void;
  signal?: AbortSignal;
}

export interface ExtractStats {
  hits: number;
  misses: number;
  backboneImages: number;
}

const EMPTY = new Float32Array(0);

/** Spare input buffers kept at most (64 of 600 KB for a 224x224 input). */
const MAX_SPARE_INPUTS = 64;

export { MIRROR_VIEW };

/** The views of one sample in row order: plain, mirrored plain, then the augmented ones. */
export function viewIds(augViews: number, mirrorView = false): number[] {
  return [0, ...(mirrorView ? [MIRROR_VIEW] : []), ...Array.from({ length: augViews }, (_, i) => i + 1)];
}

type SampleViews =
  | { sample: Sample; error: string }
  | { sample: Sample; hash: string; views: PhotoViewResult[] };

/** A stream of every sample's views, already started: see startViewSource. */
export interface ViewSource {
  samples: readonly Sample[];
  options: ViewSourceOptions;
  stream: AsyncIterator<SampleViews>;
  /** Stops posting photos (a run that failed before consuming the stream). */
  cancel(): Promise<void>;
}

/** The view ids of `sample`: the plain view alone for val photos. */
function viewsOf(
  sample: Sample,
  o: Pick<ViewSourceOptions, 'plainViewOnly' | 'augViews' | 'mirrorView'>,
): number[] {
  return o.plainViewOnly?.has(sample) ? [0] : viewIds(o.augViews, o.mirrorView);
}

/**
 * Starts reading every sample's views now: cached features where the cache has them, model
 * inputs for the rest, decoded on the pool's workers `lookahead` photos ahead, in sample order.
 * Started before the backbone is loaded, the workers decode while the main thread loads it.
 */
export function startViewSource(samples: readonly Sample[], o: ViewSourceOptions): ViewSource {
  const mirrorPipeline: TransformStep[] = [...o.evalPipeline, { op: 'randomHorizontalFlip', p: 1 }];
  const decode = decodeRuleForPipeline(o.evalPipeline);
  const job = (sample: Sample): PhotoViewsJob => {
    const ids = viewsOf(sample, o);
    const plainIndex = ids.indexOf(0);
    const spare = o.spareInputs?.splice(0, ids.length);
    return {
      path: sample.path,
      seed: o.seed,
      normalization: o.normalization,
      ...(spare?.length ? { spare } : {}),
      // Every view decodes at the size the eval pipeline needs: the rule the model stores.
      ...(decode ? { decode } : {}),
      cacheDir: o.dir,
      views: ids.map((view) => ({
        view,
        pipeline: view === 0 ? o.evalPipeline : view === MIRROR_VIEW ? mirrorPipeline : o.trainPipeline,
        ...(view === MIRROR_VIEW && plainIndex >= 0 ? { mirrorOf: plainIndex } : {}),
      })),
    };
  };
  const read = async (sample: Sample): Promise<SampleViews> => {
    const result = await (o.pool ? o.pool.run(job(sample)) : runPhotoViewsJob(job(sample)));
    return 'error' in result ? { sample, error: result.error } : { sample, ...result };
  };
  const stream = startPrefetchMap(samples, read, o.lookahead);
  return {
    samples,
    options: o,
    stream,
    async cancel() {
      await stream.return?.(undefined);
    },
  };
}

/** A view whose features the backbone still has to compute. */
interface PendingView {
  row: Omit<FeatureRow, 'features'>;
  input: Float32Array;
  path: string;
}

/** Missing views through the backbone in batches of `batchSize`; rows and stats filled as they finish. */
function backboneQueue(
  runner: FeatureRunner,
  plane: number,
  batchSize: number,
  rows: FeatureRow[],
  stats: ExtractStats,
  spareInputs: ArrayBuffer[] | undefined,
) {
  let pending: PendingView[] = [];
  // Backbone batches run one after another, but the loop below does not wait for them (up to
  // two queued), so decoding continues while the backbone works. Cache writes are collected and
  // awaited once at the end.
  const queued: Promise<void>[] = [];
  const writes: Promise<void>[] = [];
  // Batches run one at a time, so one input buffer serves them all (a fresh 19 MB buffer per
  // batch of 32 made a second of garbage collection on ants/bees).
  let batchInput = new Float32Array(0);
  const runBatch = async (batch: PendingView[]) => {
    if (batchInput.length < batch.length * plane) batchInput = new Float32Array(batch.length * plane);
    const input = batchInput.subarray(0, batch.length * plane);
    batch.forEach((p, i) => {
      input.set(p.input, i * plane);
      // Copied: the buffer goes back to the decoders (bounded, so an idle source cannot hoard).
      const buffer = p.input.buffer;
      if (spareInputs && spareInputs.length < MAX_SPARE_INPUTS && buffer.byteLength === plane * 4)
        spareInputs.push(buffer as ArrayBuffer);
      p.input = EMPTY;
    });
    const data = await runner.run(input, batch.length);
    const dim = data.length / batch.length;
    for (let i = 0; i < batch.length; i++) {
      const features = data.slice(i * dim, (i + 1) * dim);
      const p = batch[i]!;
      writes.push(writeCacheFile(p.path, new Uint8Array(features.buffer)));
      rows.push({ ...p.row, features });
    }
    stats.backboneImages += batch.length;
  };
  // Each cache directory is made once per run, not once per file (960 mkdir calls on the
  // main thread for the flowers: 60-80 ms of its time in a CPU profile).
  const madeDirs = new Map<string, Promise<unknown>>();
  const writeCacheFile = async (path: string, data: Uint8Array) => {
    const dir = dirname(path);
    let made = madeDirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      madeDirs.set(dir, made);
    }
    await made;
    await writeFileAtomic(path, data, false);
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const previous = queued.at(-1) ?? Promise.resolve();
    const next = previous.then(() => runBatch(batch));
    next.catch(() => undefined); // observed when awaited below
    queued.push(next);
    while (queued.length > 2) await queued.shift();
  };
  return {
    async add(view: PendingView): Promise<void> {
      pending.push(view);
      if (pending.length >= batchSize) await flush();
    },
    flush,
    /** Waits for every batch and cache write started; then throws `failure`, else the first rejection. */
    settle: (failure: unknown) => settleAll([...queued, ...writes], failure),
  };
}

/** Features for every (sample, view), from the cache when present, else through the extractor. */
export async function extractFeatures(
  samples: readonly Sample[],
  o: ExtractOptions,
  /** The views, if a caller started reading them early (startViewSource with `o`'s options). */
  source?: ViewSource,
): Promise<{ rows: FeatureRow[]; stats: ExtractStats }> {
  const runner = o.runner ?? tfjsFeatureRunner(o.tf, o.extractor);
  const rows: FeatureRow[] = [];
  const stats: ExtractStats = { hits: 0, misses: 0, backboneImages: 0 };
  const [height, width] = [
    (o.extractor.inputs[0]!.shape[1] as number) ?? 224,
    (o.extractor.inputs[0]!.shape[2] as number) ?? 224,
  ];
  const plane = width * height * 3;
  const views = viewIds(o.augViews, o.mirrorView);
  const queue = backboneQueue(runner, plane, o.batchSize, rows, stats, (source?.options ?? o).spareInputs);
  let done = 0;
  const totalViews = samples.reduce((sum, sample) => sum + viewsOf(sample, o).length, 0);
  // Enough images in flight to keep the decoders busy while a batch runs through the backbone.
  const { stream } =
    source ??
    startViewSource(samples, {
      ...o,
      lookahead: Math.max(o.concurrency, 2 * Math.ceil(o.batchSize / views.length)),
    });
  let failure: unknown;
  try {
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      const item = next.value;
      if (o.signal?.aborted) break;
      if ('error' in item) {
        o.onSkip({ path: item.sample.path, reason: item.error ?? 'unknown error' });
        done += viewsOf(item.sample, o).length;
        continue;
      }
      for (const v of item.views) {
        const row = { sample: item.sample, hash: item.hash, view: v.view };
        if (v.features) {
          stats.hits++;
          rows.push({ ...row, features: v.features });
        } else {
          stats.misses++;
          // The backbone will be needed: open its runtime now (a fully cached run never does).
          if (stats.misses === 1) runner.prepare?.();
          await queue.add({ row, input: v.input!, path: v.cachePath });
        }
        done++;
      }
      o.onBatch?.(done, totalViews, stats.hits);
    }
    await queue.flush();
  } catch (error) {
    failure = error;
  } finally {
    await stream.return?.(undefined);
  }
  // Settle everything started, even after a failure: no cache write lands after we return.
  await queue.settle(failure);
  return { rows: inSampleOrder(rows, samples, views), stats };
}

/** Waits for every promise; then throws `failure`, else the first rejection. */
async function settleAll(started: Promise<void>[], failure: unknown): Promise<void> {
  const settled = await Promise.allSettled(started);
  if (failure) throw failure;
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Rows are pushed in cache-hit/flush order; sample order (then view order) makes runs reproducible. */
function inSampleOrder(
  rows: FeatureRow[],
  samples: readonly Sample[],
  views: readonly number[],
): FeatureRow[] {
  const order = new Map(samples.map((s, i) => [s, i]));
  const rank = new Map(views.map((v, i) => [v, i]));
  return rows.sort(
    (a, b) => order.get(a.sample)! - order.get(b.sample)! || rank.get(a.view)! - rank.get(b.view)!,
  );
}
