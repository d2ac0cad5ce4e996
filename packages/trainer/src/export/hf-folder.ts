/**
 * `--format hf`: a folder Hugging Face transformers.js loads with
 * `pipeline('image-classification', folder)`: config.json (id2label/label2id), a
 * preprocessor_config.json equivalent to the spec's eval pipeline, and onnx/model.onnx with the
 * NCHW `pixel_values` input and `logits` output transformers.js feeds and reads.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ModelSpec } from '@ferry/core';
import { ExportError } from '@ferry/model';

/** The spec as the HF graph sees it: transformers.js feeds NCHW `pixel_values`. */
export function hfModelSpec(spec: ModelSpec): ModelSpec {
  return { ...spec, input: { ...spec.input, name: 'pixel_values', layout: 'NCHW' } };
}

interface ResizePlan {
  size: { shortest_edge: number } | { height: number; width: number };
  crop?: { height: number; width: number };
}

/** Maps the eval pipeline onto the processor's resize(+center crop); refuses what it cannot express. */
function resizePlan(spec: ModelSpec): ResizePlan {
  const steps = spec.preprocess.map((s) => s.op).join(' -> ') || '(none)';
  const [first, second, ...rest] = spec.preprocess;
  const unsupported = () =>
    new ExportError(
      `--format hf cannot express the eval pipeline ${steps}: transformers.js image processors only ` +
        'resize (to a size or the shorter side) and then center crop',
    );
  if (rest.length > 0 || !first) throw unsupported();
  let plan: ResizePlan;
  if (first.op === 'resize') plan = { size: { height: first.height, width: first.width } };
  else if (first.op === 'resizeShorterSide') plan = { size: { shortest_edge: first.size } };
  else throw unsupported();
  if (second) {
    if (second.op !== 'centerCrop') throw unsupported();
    plan.crop = { height: second.height, width: second.width };
  }
  return plan;
}

/**
 * Normalization as rescale_factor then (x - mean) / std. `scale`: x*s + o = (x/255 - m)/d with
 * d = 1/(255 s), m = -o d; `meanStd` is already in that form.
 */
function normalizationConfig(spec: ModelSpec): { image_mean: number[]; image_std: number[] } {
  const n = spec.input.normalization;
  if (n.kind === 'meanStd') return { image_mean: [...n.mean], image_std: [...n.std] };
  const std = 1 / (255 * n.scale);
  const mean = -n.offset * std;
  return { image_mean: [mean, mean, mean], image_std: [std, std, std] };
}

export function hfConfigs(spec: ModelSpec): { config: object; preprocessor: object } {
  const plan = resizePlan(spec);
  const id2label = Object.fromEntries(spec.labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(spec.labels.map((l, i) => [l, i]));
  const config = {
    // transformers.js picks the model class from model_type: MobileNetV2ForImageClassification
    // runs any single-input graph that returns `logits`, whatever the backbone really is.
    model_type: 'mobilenet_v2',
    architectures: ['MobileNetV2ForImageClassification'],
    num_labels: spec.labels.length,
    id2label,
    label2id,
    image_size: spec.input.height,
    num_channels: 3,
    ferry_model_name: spec.name,
    ferry_backbone: spec.backbone?.id,
  };
  const preprocessor = {
    image_processor_type: 'MobileNetV2ImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: plan.size,
    resample: 2,
    do_center_crop: plan.crop !== undefined,
    ...(plan.crop ? { crop_size: plan.crop } : {}),
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    ...normalizationConfig(spec),
  };
  return { config, preprocessor };
}

/** Writes the folder next to its final place, then swaps it in: never a half-written folder. */
export async function writeHfFolder(out: string, spec: ModelSpec, onnxBytes: Uint8Array): Promise<void> {
  const { config, preprocessor } = hfConfigs(spec);
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.${basename(out)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(join(temp, 'onnx'), { recursive: true });
    await writeFile(join(temp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await writeFile(join(temp, 'preprocessor_config.json'), `${JSON.stringify(preprocessor, null, 2)}\n`);
    await writeFile(join(temp, 'onnx', 'model.onnx'), onnxBytes);
    if (existsSync(out)) {
      const old = `${temp}.old`;
      await rename(out, old);
      await rename(temp, out);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, out);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
