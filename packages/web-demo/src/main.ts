/**
 * Wires the page: settings, the in-browser model (loaded once, in the background), the edge
 * API client, photo inputs and the results grid. Photos are classified one after another so a
 * big batch never freezes the tab.
 */
import { sniffImageFormat } from '@ferry/core';
import { CameraError, captureFrame, openCamera } from './camera.js';
import { decodeImage } from './decode.js';
import { byId, formatMs } from './dom.js';
import { classifyOnEdge, EdgeApiError } from './edge-client.js';
import { attachPhotoInputs } from './inputs.js';
import { checkFileSize, checkUpload } from './limits.js';
import { type LocalModel, loadLocalModel } from './local-model.js';
import { renderModelCard, renderModelError } from './model-card.js';
import { createResultCard, type ResultCard, type ResultView } from './result-card.js';
import { type Mode, readSettings, saveSettings } from './settings.js';
import { registerServiceWorker } from './sw-register.js';

const settings = readSettings();
const status = byId('runtime-status');
const notice = byId('notice');
const results = byId<HTMLOListElement>('results');
const resultsHeader = byId('results-header');
const modelCard = byId('model-card');
const apiField = byId('api-field');
const apiInput = byId<HTMLInputElement>('api-base');
const modeInputs = Array.from(document.querySelectorAll<HTMLInputElement>('input[name="mode"]'));

function showNotice(message: string | null): void {
  notice.hidden = !message;
  notice.textContent = message ?? '';
}

function setStatus(state: 'loading' | 'ready' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

// --- mode and API address -------------------------------------------------------------
function currentMode(): Mode {
  return modeInputs.find((i) => i.checked)?.value === 'edge' ? 'edge' : 'local';
}

function applyMode(mode: Mode): void {
  for (const input of modeInputs) input.checked = input.value === mode;
  apiField.hidden = mode !== 'edge';
  document.body.dataset.mode = mode;
  saveSettings({ mode, apiBase: apiInput.value });
  refreshStatus();
}

apiInput.value = settings.apiBase;
apiInput.addEventListener('change', () => saveSettings({ mode: currentMode(), apiBase: apiInput.value }));
for (const input of modeInputs) input.addEventListener('change', () => applyMode(currentMode()));

// --- the in-browser model -------------------------------------------------------------
let localModel: LocalModel | null = null;
let localError: string | null = null;

function refreshStatus(): void {
  if (currentMode() === 'edge') {
    setStatus('ready', 'Edge API');
    return;
  }
  if (localModel) setStatus('ready', `In browser · ${localModel.backend === 'webgpu' ? 'WebGPU' : 'wasm'}`);
  else if (localError) setStatus('error', 'Model failed to load');
  else setStatus('loading', 'Loading model…');
}

/** "Is it ants or bees?" for a few labels, "One of 1000 labels." for many. */
function describeLabels(labels: readonly string[]): string {
  if (labels.length > 4) return `One of ${labels.length} labels.`;
  return `Is it ${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}?`;
}

const modelReady: Promise<LocalModel | null> = loadLocalModel(settings.modelUrl, settings.backend).then(
  (model) => {
    localModel = model;
    renderModelCard(modelCard, model);
    byId('tagline').textContent = `${describeLabels(model.spec.labels)} Drop a photo to find out.`;
    document.body.dataset.model = 'ready';
    refreshStatus();
    return model;
  },
  (error: unknown) => {
    localError = (error as Error).message;
    renderModelError(modelCard, localError);
    document.body.dataset.model = 'error';
    refreshStatus();
    return null;
  },
);

applyMode(settings.mode);

// --- classification --------------------------------------------------------------------
async function classifyLocally(file: File, bytes: Uint8Array): Promise<ResultView> {
  const model = localModel ?? (await modelReady);
  if (!model) throw new Error(`The model failed to load (${localError}). Try the edge API instead.`);
  const t0 = performance.now();
  const image = await decodeImage(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: file.type }),
    file.name,
    model.spec.decode,
  );
  const decodeMs = performance.now() - t0;
  const k = Math.min(5, model.spec.labels.length);
  const result = await model.classifier.classify(image, { topK: k });
  const { preprocess, inference } = result.timing_ms;
  return {
    mode: 'local',
    predictions: result.predictions,
    probabilities: result.probabilities,
    ...(result.unknown === undefined
      ? {}
      : { unknown: result.unknown, oodScore: result.oodScore, labels: model.spec.labels }),
    totalMs: decodeMs + preprocess + inference,
    breakdown: `decode ${formatMs(decodeMs)} · preprocess ${formatMs(preprocess)} · inference ${formatMs(inference)} (${model.backend})`,
  };
}

async function classifyRemotely(file: File, bytes: Uint8Array): Promise<ResultView> {
  const photo = new Blob([bytes as Uint8Array<ArrayBuffer>], {
    type: file.type || 'application/octet-stream',
  });
  const { response, roundTripMs } = await classifyOnEdge(apiInput.value, photo);
  const t = response.timing_ms ?? {};
  const parts = (['decode', 'preprocess', 'inference'] as const)
    .filter((key) => typeof t[key] === 'number')
    .map((key) => `${key} ${formatMs(t[key]!)}`);
  const sameModel = localModel?.sha256 && response.model?.sha256 === localModel.sha256;
  const model = response.model?.name
    ? ` · model ${response.model.name}${sameModel ? '' : ' (not the page’s)'}`
    : '';
  return {
    mode: 'edge',
    predictions: response.predictions.slice(0, 5),
    ...(typeof response.unknown === 'boolean'
      ? { unknown: response.unknown, oodScore: response.ood_score, labels: response.model?.labels ?? [] }
      : {}),
    totalMs: roundTripMs,
    breakdown: `server: ${parts.join(' · ') || 'no timing'}${model}`,
  };
}

/**
 * Edge mode. A photo the server refuses as too large (413: its memory budget is smaller than a
 * browser's) is answered in this browser instead, with the server's reason beside the answer:
 * the page never shows a refusal for a photo it can classify itself.
 */
async function classifyInEdgeMode(file: File, bytes: Uint8Array): Promise<ResultView> {
  try {
    return await classifyRemotely(file, bytes);
  } catch (error) {
    if (!(error instanceof EdgeApiError) || error.status !== 413) throw error;
    const local = await classifyLocally(file, bytes).catch(() => {
      throw error;
    });
    return {
      ...local,
      breakdown: `answered in this browser: ${error.message.replace(/\.$/, '')}. ${local.breakdown}`,
    };
  }
}

async function classifyFile(file: File, card: ResultCard, mode: Mode): Promise<void> {
  try {
    checkFileSize(file.name, file.size);
    const bytes = new Uint8Array(await file.arrayBuffer());
    checkUpload(file.name, bytes);
    card.done(mode === 'local' ? await classifyLocally(file, bytes) : await classifyInEdgeMode(file, bytes));
  } catch (error) {
    const message = (error as Error).message;
    card.fail(message.charAt(0).toUpperCase() + message.slice(1));
  }
}

let queue: Promise<void> = Promise.resolve();
const previews: string[] = [];

function addPhotos(files: File[]): void {
  showNotice(null);
  resultsHeader.hidden = false;
  const mode = currentMode();
  for (const file of files) {
    // Preview only what looks like an image by type; the bytes are checked again before use.
    const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
    if (preview) previews.push(preview);
    const card = createResultCard(file.name || 'photo', preview);
    results.prepend(card.element);
    queue = queue.then(() => classifyFile(file, card, mode));
  }
}

byId('clear-button').addEventListener('click', () => {
  results.replaceChildren();
  for (const url of previews.splice(0)) URL.revokeObjectURL(url);
  resultsHeader.hidden = true;
});

attachPhotoInputs({
  dropzone: byId('dropzone'),
  fileInput: byId<HTMLInputElement>('file-input'),
  chooseButton: byId<HTMLButtonElement>('choose-button'),
  onFiles: addPhotos,
});

// --- camera ------------------------------------------------------------------------------
const cameraPanel = byId('camera-panel');
const video = byId<HTMLVideoElement>('camera-video');
let closeCamera: (() => void) | null = null;

function stopCamera(): void {
  closeCamera?.();
  closeCamera = null;
  cameraPanel.hidden = true;
}

byId('camera-button').addEventListener('click', async () => {
  showNotice(null);
  try {
    closeCamera ??= await openCamera(video);
    cameraPanel.hidden = false;
    byId('capture-button').focus();
  } catch (error) {
    showNotice(
      error instanceof CameraError ? error.message : `The camera failed: ${(error as Error).message}`,
    );
  }
});
byId('camera-close').addEventListener('click', stopCamera);
byId('capture-button').addEventListener('click', async () => {
  try {
    addPhotos([await captureFrame(video)]);
  } catch (error) {
    showNotice((error as Error).message);
  }
});

// --- offline -----------------------------------------------------------------------------
registerServiceWorker(byId('offline-status'));

// A small, stable hook for the browser tests: the page's own decoder and readiness.
Object.assign(globalThis, {
  ferryDemo: { decodeImage, modelReady, sniffImageFormat },
});
