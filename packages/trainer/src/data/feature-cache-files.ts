/**
 * Where features mode's cache keeps one view of one photo: a raw float32 file named by the
 * photo's content hash and the view (seeded views also by the run's seed), under the directory
 * of its cache key (features.ts). Shared by the main thread and the transform workers, which look
 * the files up themselves so that a photo's bytes are read and hashed once, off the main thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** View id of the mirrored plain view (deterministic, so its cache file has no seed). */
export const MIRROR_VIEW = -1;

export function featureCachePath(dir: string, hash: string, view: number, seed: number): string {
  const name =
    view === 0
      ? `${hash}.v0.f32`
      : view === MIRROR_VIEW
        ? `${hash}.v0m.f32`
        : `${hash}.s${seed}.v${view}.f32`;
  return join(dir, hash.slice(0, 2), name);
}

/** The cached features at `path`, or undefined when the cache has none (read synchronously). */
export function readCachedFeatures(path: string): Float32Array | undefined {
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
