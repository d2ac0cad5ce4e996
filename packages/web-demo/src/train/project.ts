/**
 * The train view's project: classes and their photos (name, path, hash, the features' cache key,
 * what went wrong), kept in IndexedDB so it survives a reload, and turned into `ferry train`'s
 * dataset by @ferry/model's folder rules: the same labels, order, checks, messages and split.
 */
import { type ClassFolders, DatasetError, type FolderDataset, folderDataset } from '@ferry/model';
import { idbClear, idbDelete, idbGet, idbGetAll, idbPutAll } from './idb.js';
import type { TrainJob, TrainSample } from './protocol.js';

/** `ferry train`'s defaults: 20 % of each class held out, seed 42. */
export const VAL_SPLIT = 0.2;
export const SEED = 42;

export interface ClassRecord {
  id: string;
  name: string;
}

export interface PhotoRecord {
  id: string;
  classId: string;
  name: string;
  /** Where it came from: `folder/class/file.jpg` (or `folder/train/class/...`), `class/file.jpg` by hand. */
  path: string;
  /** Only photos from a folder with `train/` and `val/` have one. */
  split?: 'train' | 'val';
  status: 'pending' | 'ready' | 'error';
  hash?: string;
  key?: string;
  error?: string;
}

export class Project {
  classes: ClassRecord[] = [];
  photos: PhotoRecord[] = [];
  /** `photos` by id: the worker reports thousands of photos one by one. */
  #byId: Map<string, PhotoRecord> | undefined;
  /** The name `spec.training.dataset` records: the first folder added, else "in-page project". */
  name = 'in-page project';

  static async load(): Promise<Project> {
    const p = new Project();
    const [classes, photos, name] = await Promise.all([
      idbGetAll<ClassRecord>('classes'),
      idbGetAll<PhotoRecord>('photos'),
      idbGet<string>('meta', 'name'),
    ]);
    p.classes = classes.sort(byName);
    // A photo still pending when the page closed lost its file: it has to be added again.
    p.photos = photos.filter((ph) => ph.status !== 'pending');
    await idbDelete(
      'photos',
      photos.filter((ph) => ph.status === 'pending').map((ph) => ph.id),
    );
    if (name) p.name = name;
    return p;
  }

  photo(id: string): PhotoRecord | undefined {
    this.#byId ??= new Map(this.photos.map((p) => [p.id, p]));
    return this.#byId.get(id);
  }

  classByName(name: string): ClassRecord | undefined {
    const key = name.trim().toLowerCase();
    return this.classes.find((c) => c.name.toLowerCase() === key);
  }

  /** A class made by hand; duplicate and empty names are refused in plain words. */
  async addClass(name: string): Promise<ClassRecord> {
    const clean = name.trim();
    if (!clean) throw new DatasetError('Give the class a name.');
    if (/[/\\]/.test(clean)) throw new DatasetError(`A class name cannot contain “/” or “\\”: “${clean}”.`);
    const existing = this.classByName(clean);
    if (existing) throw new DatasetError(`A class named “${existing.name}” already exists.`);
    const record = { id: crypto.randomUUID(), name: clean };
    this.classes = [...this.classes, record].sort(byName);
    await idbPutAll('classes', [{ value: record }]);
    return record;
  }

  /** The class of that name, made if new (folders add to classes of the same name). */
  async ensureClass(name: string): Promise<ClassRecord> {
    return this.classByName(name) ?? this.addClass(name);
  }

  async removeClass(id: string): Promise<void> {
    const gone = this.photos.filter((p) => p.classId === id).map((p) => p.id);
    this.photos = this.photos.filter((p) => p.classId !== id);
    this.#byId = undefined;
    this.classes = this.classes.filter((c) => c.id !== id);
    await idbDelete('photos', gone);
    await idbDelete('classes', [id]);
  }

  async addPhotos(records: PhotoRecord[]): Promise<void> {
    this.photos.push(...records);
    this.#byId = undefined;
    await idbPutAll(
      'photos',
      records.map((value) => ({ value })),
    );
  }

  /**
   * Stores changed records of photos still in the project: a record changed just before its
   * class was removed or the project started over must not come back on the next load.
   */
  async updatePhotos(records: PhotoRecord[]): Promise<void> {
    await idbPutAll(
      'photos',
      records.filter((r) => this.photo(r.id) === r).map((value) => ({ value })),
    );
  }

  async removePhotos(ids: readonly string[]): Promise<void> {
    const set = new Set(ids);
    this.photos = this.photos.filter((p) => !set.has(p.id));
    this.#byId = undefined;
    await idbDelete('photos', [...ids]);
  }

  async setName(name: string): Promise<void> {
    this.name = name;
    await idbPutAll('meta', [{ key: 'name', value: name }]);
  }

  /** Forgets the project (features and thumbnails stay cached: they are keyed by content). */
  async clear(): Promise<void> {
    this.classes = [];
    this.photos = [];
    this.#byId = undefined;
    this.name = 'in-page project';
    await idbClear(['classes', 'photos', 'meta']);
  }

  hasPath(classId: string, path: string): boolean {
    return this.photos.some((p) => p.classId === classId && p.path === path);
  }

  /**
   * `ferry train`'s dataset over every photo the project lists (unreadable ones too: like the
   * CLI, the split is made over the listing and bad photos are skipped after it).
   */
  dataset(): { dataset: FolderDataset; photoOf: Map<string, PhotoRecord> } {
    const photoOf = new Map(this.photos.map((p) => [p.path, p]));
    const withSplit = this.photos.filter((p) => p.split).length;
    if (withSplit > 0 && withSplit < this.photos.length)
      throw new DatasetError(
        'this project mixes photos from a folder with train/ and val/ and photos without a split; start over, or add photos the same way',
      );
    const folders = (filter: (p: PhotoRecord) => boolean): ClassFolders =>
      new Map(
        [...this.classes].sort(byName).map((c) => [
          c.name,
          this.photos
            .filter((p) => p.classId === c.id && filter(p))
            .map((p) => p.path)
            .sort(),
        ]),
      );
    const listing =
      withSplit > 0
        ? { train: folders((p) => p.split === 'train'), val: folders((p) => p.split === 'val') }
        : { classes: folders(() => true) };
    const dataset = folderDataset(listing, this.name, VAL_SPLIT, SEED);
    return { dataset, photoOf };
  }

  /**
   * The split `ferry train` would make (undefined when the project cannot make one yet) and the
   * plain-word reasons the project cannot train yet (none: the Train button is enabled). One
   * pass: the page asks for both on every redraw while features run.
   */
  review(featureKey?: string): { dataset?: FolderDataset; problems: string[] } {
    if (this.classes.length === 0) return { problems: ['Choose a folder, or add at least two classes.'] };
    const problems: string[] = [];
    const stale = featureKey ? this.stale(featureKey) : [];
    if (stale.length > 0)
      problems.push(
        `${stale.length} photo${stale.length === 1 ? ' was' : 's were'} prepared with another backbone or an older version of this page (${stale
          .slice(0, 3)
          .map((p) => p.name)
          .join(
            ', ',
          )}${stale.length > 3 ? ', …' : ''}): remove their classes and add them again, or start over.`,
      );
    let dataset: FolderDataset | undefined;
    try {
      dataset = this.dataset().dataset;
    } catch (error) {
      // The CLI's own rule and words (one class only, an empty class, train/ and val/ apart).
      problems.push(sentence((error as Error).message));
    }
    const counts = new Map<string, number>();
    for (const p of this.photos) counts.set(p.classId, (counts.get(p.classId) ?? 0) + 1);
    for (const c of this.classes) {
      const n = counts.get(c.id) ?? 0;
      if (n < 2)
        problems.push(
          `“${c.name}” has ${n} photo${n === 1 ? '' : 's'}: a class needs at least 2 (one to learn from, one to check).`,
        );
    }
    return dataset ? { dataset, problems } : { problems };
  }

  /** Ready photos whose features another backbone or page build made (`featureKey` is the current one). */
  stale(featureKey: string): PhotoRecord[] {
    return this.photos.filter((p) => p.status === 'ready' && !p.key?.startsWith(`${featureKey}|`));
  }

  /** The worker's job: the split's photos that have features, the rest skipped as the CLI skips. */
  trainJob(): TrainJob {
    const { dataset, photoOf } = this.dataset();
    const samples = (list: FolderDataset['train']): TrainSample[] =>
      list.flatMap(({ path, label }) => {
        const p = photoOf.get(path)!;
        return p.status === 'ready' && p.key ? [{ id: p.id, path, key: p.key, label }] : [];
      });
    const train = samples(dataset.train);
    const val = samples(dataset.val);
    if (train.length === 0 || val.length === 0)
      throw new DatasetError('no decodable images left after skipping bad files');
    return { labels: dataset.labels, train, val, dataset: this.name, seed: SEED };
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A message as a sentence: capital first letter, full stop. */
export function sentence(message: string): string {
  const s = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
