/**
 * The train view: photos per class in (a folder, a drop, by hand or from the camera), features
 * computed in the worker with a progress bar, then Train, the results, and the downloads. The
 * project lives in IndexedDB (project.ts), so a reload keeps it; heavy work is the worker's.
 */
import { classBalance } from '@ferry/model';
import { CameraError, captureFrame, openCamera } from '../camera.js';
import { byId, h } from '../dom.js';
import { backboneRequest } from './backbone-source.js';
import { type FolderFile, filesOfDrop, filesOfInput, listFolder } from './folder-files.js';
import { idbDelete, idbGet, idbPut } from './idb.js';
import { type ClassRecord, type PhotoRecord, Project, sentence } from './project.js';
import type { BackboneRequest, PhotoJob, TrainOutcome } from './protocol.js';
import { renderResults } from './results-view.js';
import { thumbnailImage } from './thumbs.js';
import { startTrainWorker } from './worker-client.js';

/** Thumbnails shown per class card; the rest are counted. */
const THUMBS_SHOWN = 24;

const project = await Project.load();
/** Files whose features are still being computed (never stored: the project keeps features). */
const pendingFiles = new Map<string, File>();
const progress = { total: 0, done: 0, cached: 0, started: 0 };
let backboneState: 'loading' | 'ready' | 'error' = 'loading';
/** The worker's feature cache key for this backbone and page build (photos' keys start with it). */
let featureKey: string | undefined;
let training = false;

const body = document.body;
const notice = byId('notice');

function showNotice(message: string | null): void {
  notice.hidden = !message;
  notice.textContent = message ?? '';
}

// --- the worker ---------------------------------------------------------------------------
let backbone: BackboneRequest | undefined;
try {
  backbone = backboneRequest();
} catch (error) {
  backboneState = 'error';
  showNotice((error as Error).message);
}

/**
 * Photo records are written in batches: one transaction per 200 ms, not one per photo. The last
 * batch of a feature run is written at once, and the run shows as finished only when every
 * record is stored: a reload right after "N photos ready" must find them all ready.
 */
const pendingUpdates: PhotoRecord[] = [];
let flushTimer: number | undefined;
/** Records queued or being written. */
let unsaved = 0;

function savePhoto(photo: PhotoRecord): void {
  pendingUpdates.push(photo);
  unsaved++;
  flushTimer ??= window.setTimeout(flushPhotos, 200);
}

function flushPhotos(): void {
  window.clearTimeout(flushTimer);
  flushTimer = undefined;
  const batch = pendingUpdates.splice(0);
  if (batch.length === 0) return;
  project.updatePhotos(batch).then(
    () => {
      unsaved -= batch.length;
      render();
    },
    (error: unknown) => {
      unsaved -= batch.length;
      showNotice(`The project could not be saved in this browser: ${sentence((error as Error).message)}`);
      render();
    },
  );
}

const send = startTrainWorker({
  ready(m) {
    backboneState = 'ready';
    featureKey = m.featureKey;
    setPill('ready', `Backbone ${m.backbone.split(' ')[0]} · ${m.runtime}`);
    body.dataset.backbone = 'ready';
    render();
  },
  'init-error'(m) {
    backboneState = 'error';
    body.dataset.backbone = 'error';
    setPill('error', 'Backbone failed to load');
    showNotice(`${sentence(m.message)} Reload the page to try again.`);
    render();
  },
  photo(m) {
    const photo = project.photo(m.id);
    pendingFiles.delete(m.id);
    progress.done++;
    if (m.cached) progress.cached++;
    if (!photo) {
      // Removed meanwhile (its class, or Start over): only the progress changed.
      render();
      return;
    }
    if (m.hash) photo.hash = m.hash;
    if (m.error) {
      photo.status = 'error';
      photo.error = m.error;
    } else {
      photo.status = 'ready';
      photo.key = m.key!;
    }
    savePhoto(photo);
    if (progress.done >= progress.total) flushPhotos();
    render();
  },
  cancelled(m) {
    for (const id of m.ids) pendingFiles.delete(id);
    progress.total -= m.ids.length;
    void project.removePhotos(m.ids).then(render);
    showNotice(`Cancelled: ${m.ids.length} photo${m.ids.length === 1 ? ' was' : 's were'} not added.`);
  },
  epoch(m) {
    const p = m.progress;
    const bar = byId<HTMLProgressElement>('epoch-progress');
    bar.max = p.epochs;
    bar.value = p.epoch;
    byId('train-text').textContent =
      `Epoch ${p.epoch} / ${p.epochs} · val accuracy ${(p.valAccuracy * 100).toFixed(1)} %`;
  },
  trained(m) {
    training = false;
    body.dataset.train = 'done';
    byId('train-text').textContent = 'Done.';
    void idbPut('meta', m.outcome, 'result');
    renderResults(m.outcome, { hashOf: (id) => project.photo(id)?.hash });
    render();
  },
  'train-error'(m) {
    training = false;
    body.dataset.train = 'error';
    byId('train-progress').hidden = true;
    showNotice(`Training failed: ${sentence(m.message)}`);
    render();
  },
});
if (backbone) send({ type: 'init', ortBase: new URL('../ort/', document.baseURI).href, backbone });

function setPill(state: 'loading' | 'ready' | 'error', text: string): void {
  const pill = byId('backbone-status');
  pill.dataset.state = state;
  pill.textContent = text;
}

// --- adding photos ------------------------------------------------------------------------
function queuePhotos(records: PhotoRecord[], files: File[]): void {
  const jobs: PhotoJob[] = records.map((r, i) => {
    pendingFiles.set(r.id, files[i]!);
    return { id: r.id, name: r.name, file: files[i]! };
  });
  if (jobs.length === 0) return;
  if (progress.done >= progress.total) {
    Object.assign(progress, { total: 0, done: 0, cached: 0, started: performance.now() });
    // How many feature runs this page started: tells a new run's "N photos ready" from the last.
    body.dataset.featureRuns = String(Number(body.dataset.featureRuns ?? 0) + 1);
  }
  progress.total += jobs.length;
  send({ type: 'photos', jobs });
}

function listMessages(items: string[]): void {
  byId('messages').replaceChildren(...items.map((m) => h('li', {}, m)));
}

async function addFolder(files: FolderFile[]): Promise<void> {
  showNotice(null);
  const listing = listFolder(files);
  const skipped = listing.skipped.map((s) => `${s.path}: skipped, ${s.reason}.`);
  listMessages(
    skipped.length > 20 ? [...skipped.slice(0, 20), `…and ${skipped.length - 20} more skipped.`] : skipped,
  );
  if (listing.photos.length === 0) {
    showNotice(
      `No photos found in class folders of “${listing.root || 'the folder'}”: expected ${listing.root || 'DIR'}/<class>/*.jpg (or train/<class>/ and val/<class>/).`,
    );
    return;
  }
  if (project.photos.length === 0) await project.setName(listing.root);
  const records: PhotoRecord[] = [];
  const newFiles: File[] = [];
  try {
    for (const photo of listing.photos) {
      const cls = await project.ensureClass(photo.className);
      if (project.hasPath(cls.id, photo.path)) continue;
      records.push({
        id: crypto.randomUUID(),
        classId: cls.id,
        name: photo.file.name,
        path: photo.path,
        status: 'pending',
        ...(photo.split ? { split: photo.split } : {}),
      });
      newFiles.push(photo.file);
    }
  } catch (error) {
    showNotice(sentence((error as Error).message));
  }
  if (records.length === 0 && listing.photos.length > 0)
    showNotice(`All ${listing.photos.length} photos of “${listing.root}” are already in the project.`);
  await project.addPhotos(records);
  queuePhotos(records, newFiles);
  render();
}

async function addToClass(classId: string, files: File[]): Promise<void> {
  const cls = project.classes.find((c) => c.id === classId);
  if (!cls) return;
  const records: PhotoRecord[] = [];
  for (const file of files) {
    let path = `${cls.name}/${file.name}`;
    for (let n = 2; project.hasPath(cls.id, path) || records.some((r) => r.path === path); n++)
      path = `${cls.name}/${file.name.replace(/(\.[^.]*)?$/, `-${n}$1`)}`;
    records.push({ id: crypto.randomUUID(), classId, name: file.name, path, status: 'pending' });
  }
  await project.addPhotos(records);
  queuePhotos(records, files);
  render();
}

const folderInput = byId<HTMLInputElement>('folder-input');
byId('folder-button').addEventListener('click', () => folderInput.click());
folderInput.addEventListener('change', () => {
  const files = filesOfInput(folderInput);
  folderInput.value = '';
  if (files.length) void addFolder(files);
});
const drop = byId('folder-drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('dragging');
});
drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('dragging');
  if (event.dataTransfer) void filesOfDrop(event.dataTransfer.items).then(addFolder);
});

byId('class-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('class-name');
  project.addClass(input.value).then(
    () => {
      input.value = '';
      showNotice(null);
      render();
    },
    (error: unknown) => showNotice(sentence((error as Error).message)),
  );
});

byId('cancel-button').addEventListener('click', () => send({ type: 'cancel' }));

byId('reset-button').addEventListener('click', async () => {
  if (!window.confirm('Start over? The classes, photos and trained model of this project are forgotten.'))
    return;
  send({ type: 'cancel' });
  await project.clear();
  await idbDelete('meta', ['result']);
  body.dataset.train = 'idle';
  byId('results').hidden = true;
  listMessages([]);
  showNotice(null);
  render();
});

byId('train-button').addEventListener('click', () => {
  showNotice(null);
  let job: ReturnType<Project['trainJob']>;
  try {
    job = project.trainJob();
  } catch (error) {
    showNotice(sentence((error as Error).message));
    return;
  }
  training = true;
  body.dataset.train = 'running';
  byId('train-progress').hidden = false;
  byId('train-text').textContent = `Training on ${job.train.length} photos, ${job.val.length} held out…`;
  send({ type: 'train', job });
  render();
});

// --- camera -------------------------------------------------------------------------------
let closeCamera: (() => void) | null = null;
let cameraClass: string | undefined;
async function startCamera(classId: string): Promise<void> {
  try {
    closeCamera ??= await openCamera(byId<HTMLVideoElement>('camera-video'));
    cameraClass = classId;
    byId('camera-title').textContent = `Photos for “${project.classes.find((c) => c.id === classId)?.name}”`;
    byId('camera-panel').hidden = false;
  } catch (error) {
    showNotice(
      error instanceof CameraError ? error.message : `The camera failed: ${(error as Error).message}`,
    );
  }
}
byId('camera-close').addEventListener('click', () => {
  closeCamera?.();
  closeCamera = null;
  byId('camera-panel').hidden = true;
});
byId('capture-button').addEventListener('click', async () => {
  if (!cameraClass) return;
  try {
    await addToClass(cameraClass, [await captureFrame(byId<HTMLVideoElement>('camera-video'))]);
  } catch (error) {
    showNotice((error as Error).message);
  }
});

// --- rendering ----------------------------------------------------------------------------
/**
 * Redraws at most every RENDER_MS: during extraction every photo asks for one, and redrawing the
 * class cards per photo took main-thread time the worker's backbone could use (2 cores).
 */
const RENDER_MS = 150;
let renderQueued = false;
function render(): void {
  if (renderQueued) return;
  renderQueued = true;
  window.setTimeout(() => {
    renderQueued = false;
    requestAnimationFrame(renderNow);
  }, RENDER_MS);
}

function renderProgress(): void {
  const running = progress.done < progress.total || unsaved > 0;
  body.dataset.features = running ? 'running' : 'idle';
  byId('features').hidden = progress.total === 0;
  const bar = byId<HTMLProgressElement>('features-progress');
  bar.max = Math.max(1, progress.total);
  bar.value = progress.done;
  const seconds = (performance.now() - progress.started) / 1000;
  const rate = progress.done / Math.max(seconds, 1e-3);
  const left = rate > 0 ? (progress.total - progress.done) / rate : Number.NaN;
  byId('features-text').textContent = running
    ? `${progress.done} / ${progress.total} photos · ${rate.toFixed(1)}/s · about ${Number.isFinite(left) ? Math.ceil(left) : '?'} s left`
    : `${progress.total} photos ready (${progress.cached} already computed in this browser).`;
  byId('cancel-button').hidden = !running;
}

/** A class card as last drawn, and what it showed: redrawn only when that changes. */
const cards = new Map<string, { card: HTMLElement; shows: string }>();
/** Thumbnails by photo id: a redrawn card reuses them (no image decoded twice). */
const thumbImages = new Map<string, HTMLImageElement>();

function thumbOf(photo: PhotoRecord): HTMLImageElement {
  let img = thumbImages.get(photo.id);
  if (!img) {
    img = thumbnailImage(photo.hash, photo.name, photo.path);
    thumbImages.set(photo.id, img);
  }
  return img;
}

function classCard(c: ClassRecord, photos: PhotoRecord[], held: number | undefined): HTMLElement {
  const bad = photos.filter((p) => p.status === 'error');
  const shown = photos.filter((p) => p.status === 'ready').slice(0, THUMBS_SHOWN);
  const shows = JSON.stringify([c.name, photos.length, held, bad.map((p) => p.id), shown.map((p) => p.id)]);
  const last = cards.get(c.id);
  if (last?.shows === shows) return last.card;
  const fileInput = h('input', {
    type: 'file',
    accept: 'image/*',
    multiple: '',
    class: 'visually-hidden',
  });
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    fileInput.value = '';
    if (files.length) void addToClass(c.id, files);
  });
  const add = h('button', { type: 'button', class: 'button subtle' }, 'Add photos');
  add.addEventListener('click', () => fileInput.click());
  const camera = h('button', { type: 'button', class: 'button subtle' }, 'Camera');
  camera.addEventListener('click', () => void startCamera(c.id));
  const remove = h('button', { type: 'button', class: 'button subtle' }, 'Remove');
  remove.addEventListener('click', () => void project.removeClass(c.id).then(render));
  const card = h(
    'div',
    {
      class: 'class-card',
      'data-class': c.name,
      'data-count': String(photos.length),
      'data-held-out': String(held ?? 0),
    },
    h(
      'div',
      { class: 'class-head' },
      h('h3', {}, c.name),
      h(
        'span',
        { class: 'counts' },
        `${photos.length} photo${photos.length === 1 ? '' : 's'}${held === undefined ? '' : ` · ${held} held out`}${bad.length ? ` · ${bad.length} unreadable` : ''}`,
      ),
      fileInput,
      add,
      camera,
      remove,
    ),
    h(
      'div',
      { class: 'thumbs' },
      ...shown.map(thumbOf),
      photos.length > shown.length + bad.length
        ? h('span', { class: 'more' }, `+${photos.length - shown.length - bad.length}`)
        : null,
    ),
    bad.length
      ? h(
          'ul',
          { class: 'photo-errors' },
          ...bad.map((p) => h('li', { 'data-path': p.path }, `${p.name}: ${p.error}`)),
        )
      : null,
  );
  cards.set(c.id, { card, shows });
  return card;
}

function renderNow(): void {
  renderProgress();
  const { dataset, problems } = project.review(featureKey);
  const heldOut = dataset ? new Set(dataset.val.map((s) => s.path)) : undefined;
  const warning = dataset ? classBalance(dataset.labels, dataset.train).warning : undefined;
  byId('balance').hidden = !warning;
  byId('balance').textContent = warning
    ? `${sentence(warning)} The model may favour the larger classes.`
    : '';
  const photosOf = new Map<string, PhotoRecord[]>(project.classes.map((c) => [c.id, []]));
  for (const p of project.photos) photosOf.get(p.classId)?.push(p);
  const drawn = project.classes.map((c) => {
    const photos = photosOf.get(c.id)!;
    return classCard(c, photos, heldOut && photos.filter((p) => heldOut.has(p.path)).length);
  });
  const list = byId('classes');
  if (drawn.length !== list.children.length || drawn.some((card, i) => list.children[i] !== card))
    list.replaceChildren(...drawn);
  for (const id of cards.keys()) if (!project.classes.some((c) => c.id === id)) cards.delete(id);
  for (const id of thumbImages.keys()) if (!project.photo(id)) thumbImages.delete(id);
  const busy = progress.done < progress.total;
  byId('problems').replaceChildren(...problems.map((p) => h('li', {}, p)));
  byId<HTMLButtonElement>('train-button').disabled =
    training || busy || backboneState !== 'ready' || problems.length > 0 || project.photos.length === 0;
}

// --- a reload: the project and its last model -------------------------------------------
const saved = await idbGet<TrainOutcome>('meta', 'result');
if (saved && project.photos.length > 0) {
  body.dataset.train = 'done';
  renderResults(saved, { hashOf: (id) => project.photo(id)?.hash });
}
// Drawn at once (not throttled): `data-project` says the restored project is on the page.
renderNow();
body.dataset.project = 'loaded';
