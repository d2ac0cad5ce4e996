/** The model card: everything a user should know about the model, read from its embedded spec. */
import type { ModelSpec, Normalization, TransformStep } from '@ferry/core';
import { formatBytes, h } from './dom.js';
import type { LocalModel } from './local-model.js';

function describeNormalization(n: Normalization): string {
  if (n.kind === 'scale') {
    const offset = n.offset === 0 ? '' : n.offset < 0 ? ` − ${-n.offset}` : ` + ${n.offset}`;
    // Scales are usually 1/255 or 1/127.5: show the divisor, which is how people write them.
    const divisor = 1 / n.scale;
    const round = Math.round(divisor * 10) / 10;
    const scaled = Math.abs(divisor - round) < 1e-6 ? `x / ${round}` : `x × ${+n.scale.toPrecision(4)}`;
    return `${scaled}${offset}`;
  }
  return `mean ${n.mean.join(', ')} · std ${n.std.join(', ')}`;
}

function describeStep(step: TransformStep): string {
  switch (step.op) {
    case 'resize':
      return `resize to ${step.width}×${step.height}`;
    case 'resizeShorterSide':
      return `shorter side to ${step.size}`;
    case 'centerCrop':
      return `centre crop ${step.width}×${step.height}`;
    case 'squareCrop':
      return 'square crop';
    default:
      return step.op;
  }
}

const row = (term: string, ...value: (Node | string)[]): Node[] => [h('dt', {}, term), h('dd', {}, ...value)];

export function renderModelCard(card: HTMLElement, model: LocalModel): void {
  const spec: ModelSpec = model.spec;
  const accuracy = spec.training?.valAccuracy;
  const items: Node[] = [
    ...row('Name', spec.name),
    ...row(
      'Labels',
      h('span', { class: 'chips' }, ...spec.labels.map((l) => h('span', { class: 'chip' }, l))),
    ),
    ...row(
      'Input',
      `${spec.input.width}×${spec.input.height} RGB, ${spec.input.layout}, ${describeNormalization(spec.input.normalization)}`,
    ),
    ...row('Preprocess', spec.preprocess.map(describeStep).join(' → ') || 'none'),
    ...row('Backbone', spec.backbone?.id ?? 'not recorded'),
  ];
  if (spec.head) {
    const hidden = spec.head.hiddenUnits.length ? ` ${spec.head.hiddenUnits.join('-')}` : ' linear';
    items.push(...row('Head', `${spec.head.type}${hidden}, ${spec.head.pooling} pooling`));
  }
  items.push(
    ...row('Val accuracy', accuracy === undefined ? 'not recorded' : `${(accuracy * 100).toFixed(1)}%`),
  );
  const os = spec.openSet;
  items.push(
    ...row(
      'Unknown photos',
      os
        ? `“not one of these” when the ${os.method} score is above ${+os.threshold.toPrecision(4)} (${
            os.valRejected === undefined ? 'threshold' : `${(os.valRejected * 100).toFixed(1)}% of val photos`
          } rejected) · confidence calibrated at temperature ${+os.temperature.toPrecision(3)}`
        : 'not detected (model exported before open-set support)',
    ),
  );
  if (spec.training?.epochs !== undefined) {
    const mode = spec.training.mode ? ` (${spec.training.mode})` : '';
    items.push(
      ...row('Training', `${spec.training.epochs} epoch${spec.training.epochs === 1 ? '' : 's'}${mode}`),
    );
  }
  items.push(...row('File size', formatBytes(model.bytes)));
  if (model.sha256)
    items.push(...row('SHA-256', h('code', { title: model.sha256 }, model.sha256.slice(0, 16))));
  items.push(
    ...row(
      'Runs on',
      `onnxruntime-web · ${model.backend === 'webgpu' ? 'WebGPU' : 'wasm'}`,
      model.fallbackReason ? h('span', { class: 'muted' }, ` (${model.fallbackReason})`) : '',
    ),
  );
  const dl = h('dl', {}, ...items);
  card.replaceChildren(h('h2', { id: 'model-card-title' }, 'Model'), dl);
  card.dataset.state = 'ready';
  card.dataset.labels = JSON.stringify(spec.labels);
  card.dataset.backend = model.backend;
  if (os) card.dataset.oodThreshold = String(os.threshold);
}

export function renderModelError(card: HTMLElement, message: string): void {
  card.replaceChildren(
    h('h2', { id: 'model-card-title' }, 'Model'),
    h('p', { class: 'model-error' }, `The model failed to load: ${message}`),
    h('p', { class: 'muted' }, 'You can still classify photos with the edge API.'),
  );
  card.dataset.state = 'error';
}
