/**
 * The train view's IndexedDB, shared by the page (classes, photos, the trained model) and the
 * features worker (features and thumbnails, keyed by what made them). Full-size photos are never
 * stored: a project is its classes, each photo's name, hash and thumbnail, and the features.
 */

export const DB_NAME = 'ferry-train';
const DB_VERSION = 1;

/** Object stores: `classes` and `photos` by id, `features` by cache key, `thumbs` by photo hash, `meta` by name. */
export type StoreName = 'classes' | 'photos' | 'features' | 'thumbs' | 'meta';

let opened: Promise<IDBDatabase> | undefined;

export function openProjectDb(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('classes', { keyPath: 'id' });
      db.createObjectStore('photos', { keyPath: 'id' });
      db.createObjectStore('features');
      db.createObjectStore('thumbs');
      db.createObjectStore('meta');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB: ${request.error?.message ?? 'cannot open'}`));
  });
  opened.catch(() => {
    opened = undefined;
  });
  return opened;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

export async function idbGet<T>(store: StoreName, key: IDBValidKey): Promise<T | undefined> {
  const db = await openProjectDb();
  return done(db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
}

/** Many keys of one store in one transaction (undefined where absent), in `keys` order. */
export async function idbGetMany<T>(
  store: StoreName,
  keys: readonly IDBValidKey[],
): Promise<(T | undefined)[]> {
  if (keys.length === 0) return [];
  const db = await openProjectDb();
  const os = db.transaction(store).objectStore(store);
  return Promise.all(keys.map((key) => done(os.get(key)) as Promise<T | undefined>));
}

export async function idbGetAll<T>(store: StoreName): Promise<T[]> {
  const db = await openProjectDb();
  return done(db.transaction(store).objectStore(store).getAll()) as Promise<T[]>;
}

/** Puts every entry in one transaction: all of them are stored, or none. */
export async function idbPutAll(
  store: StoreName,
  entries: ReadonlyArray<{ value: unknown; key?: IDBValidKey }>,
): Promise<void> {
  if (entries.length === 0) return;
  const db = await openProjectDb();
  const tx = db.transaction(store, 'readwrite');
  const os = tx.objectStore(store);
  for (const e of entries) os.put(e.value, e.key);
  await committed(tx);
}

export function idbPut(store: StoreName, value: unknown, key?: IDBValidKey): Promise<void> {
  return idbPutAll(store, [key === undefined ? { value } : { value, key }]);
}

export async function idbDelete(store: StoreName, keys: readonly IDBValidKey[]): Promise<void> {
  if (keys.length === 0) return;
  const db = await openProjectDb();
  const tx = db.transaction(store, 'readwrite');
  for (const key of keys) tx.objectStore(store).delete(key);
  await committed(tx);
}

export async function idbClear(stores: readonly StoreName[]): Promise<void> {
  const db = await openProjectDb();
  const tx = db.transaction([...stores], 'readwrite');
  for (const store of stores) tx.objectStore(store).clear();
  await committed(tx);
}
