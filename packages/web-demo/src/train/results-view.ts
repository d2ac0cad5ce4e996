/**
 * After training: val accuracy, the confusion matrix whose cells open the held-out photos they
 * count (the mistakes first), what "none of these" means for this model, and the downloads.
 */
import { readModelSpecFromOnnx } from '@ferry/core';
import { byId, h, percent } from '../dom.js';
import type { TrainOutcome, ValAnswer } from './protocol.js';
import { thumbnailImage } from './thumbs.js';

export interface ResultsViewOptions {
  /** The photo hash of a photo id (its thumbnail's key). */
  hashOf(id: string): string | undefined;
}

let modelUrl: string | undefined;
let cardUrl: string | undefined;

export function renderResults(outcome: TrainOutcome, o: ResultsViewOptions): void {
  const section = byId('results');
  section.hidden = false;
  const { labels, val } = outcome;
  const mistakes = val.filter((v) => v.predicted !== v.label);
  byId('summary').textContent =
    `Val accuracy ${percent(outcome.valAccuracy)} on ${val.length} held-out photos (${mistakes.length} wrong), ` +
    `best of ${outcome.epochs} epochs: epoch ${outcome.bestEpoch}. Trained on ${outcome.trainCount} photos in ${outcome.seconds.toFixed(1)} s.`;
  const os = outcome.openSet;
  byId('unknown-explained').textContent =
    `“None of these”: a photo whose open-set score (${os.method}) is above ${os.threshold.toPrecision(4)} is answered ` +
    `as none of ${labels.join(', ')}. The threshold lets at most 5 % of the held-out photos be refused ` +
    `(${percent(os.valRejected ?? 0)} were); probabilities are calibrated with temperature ${os.temperature.toPrecision(3)}.`;

  const table = h('table', { class: 'confusion-table', 'data-labels': JSON.stringify(labels) });
  table.append(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'true ↓ / answer →'),
        ...labels.map((l) => h('th', { scope: 'col' }, l)),
      ),
    ),
  );
  const body = h('tbody');
  labels.forEach((truth, t) => {
    const row = h('tr', {}, h('th', { scope: 'row' }, truth));
    labels.forEach((answer, p) => {
      const count = outcome.confusion[t]![p]!;
      const cell = h(
        'button',
        {
          type: 'button',
          class: `cell${t === p ? ' diagonal' : count > 0 ? ' wrong' : ''}`,
          'data-true': truth,
          'data-answer': answer,
          'aria-label': `${count} ${truth} photo${count === 1 ? '' : 's'} answered ${answer}`,
        },
        String(count),
      );
      cell.addEventListener('click', () =>
        showPhotos(
          `${truth} answered ${answer}`,
          val.filter((v) => v.label === t && v.predicted === p),
          labels,
          o,
        ),
      );
      row.append(h('td', {}, cell));
    });
    body.append(row);
  });
  table.append(body);
  byId('confusion').replaceChildren(table);
  showPhotos(mistakes.length ? 'Mistakes' : 'Mistakes: none', mistakes, labels, o);

  if (modelUrl) URL.revokeObjectURL(modelUrl);
  if (cardUrl) URL.revokeObjectURL(cardUrl);
  modelUrl = URL.createObjectURL(
    new Blob([outcome.model as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
  );
  cardUrl = URL.createObjectURL(new Blob([modelCard(outcome)], { type: 'text/markdown' }));
  byId('downloads').replaceChildren(
    h('a', { class: 'button primary', href: modelUrl, download: 'model.onnx' }, 'Download model.onnx'),
    ' ',
    h('a', { class: 'button', href: cardUrl, download: 'model-card.md' }, 'Download model card'),
  );
}

function showPhotos(
  title: string,
  answers: ValAnswer[],
  labels: readonly string[],
  o: ResultsViewOptions,
): void {
  byId('cell-title').textContent = `${title} (${answers.length})`;
  byId('cell-photos').replaceChildren(
    ...answers.map((a) => {
      const answer = a.unknown ? `none of these (closest: ${labels[a.predicted]})` : labels[a.predicted]!;
      return h(
        'li',
        {
          class: 'photo',
          'data-path': a.path,
          'data-true': labels[a.label],
          'data-answer': labels[a.predicted],
        },
        thumbnailImage(o.hashOf(a.id), a.path),
        h('span', { class: 'photo-name' }, a.path.split('/').at(-1)!),
        h(
          'span',
          { class: 'photo-answer' },
          `${labels[a.label]} → ${answer} · ${percent(a.probabilities[a.predicted]!)}`,
        ),
      );
    }),
  );
}

/** A short Markdown model card: what the file is, how it was made, how well it did. */
export function modelCard(outcome: TrainOutcome): string {
  const spec = readModelSpecFromOnnx(outcome.model);
  const t = spec.training ?? {};
  const os = spec.openSet;
  const rows = outcome.labels.map((l, i) => {
    const m = outcome.perClass[i]!;
    return `| ${l} | ${m.precision.toFixed(3)} | ${m.recall.toFixed(3)} | ${m.f1.toFixed(3)} | ${m.support} |`;
  });
  return `# ${spec.name}

An image classifier over ${spec.labels.length} labels (${spec.labels.join(', ')}), trained in the browser by Ferry's
train view with \`ferry train\`'s default (features mode) and exported as one self-describing ONNX file:
\`ferry predict\`, the Ferry edge API (Node or Cloudflare Workers) and the Ferry page run it as it is.

- Backbone: ${spec.backbone?.id} cut at \`${spec.backbone?.featureLayer}\` (${spec.backbone?.source}), frozen; a dense head on its pooled features.
- Input: ${spec.input.width}×${spec.input.height} RGB, ${spec.preprocess.map((s) => s.op).join(' → ')}.
- Training: ${t.epochs} epochs (best: ${t.bestEpoch}), batch ${t.batchSize}, ${t.optimizer} at ${t.learningRate}, seed ${t.seed};
  ${t.trainCount} photos to learn from, ${t.valCount} held out.
- Val accuracy: ${((t.valAccuracy ?? 0) * 100).toFixed(1)} %.
${os ? `- "None of these": ${os.method} score above ${os.threshold.toPrecision(4)} (${((os.valRejected ?? 0) * 100).toFixed(1)} % of val refused); temperature ${os.temperature.toPrecision(3)}.\n` : ''}- Made ${t.createdAt} with Ferry ${t.ferryVersion}.

| class | precision | recall | F1 | val photos |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Limits: it knows only these ${spec.labels.length} classes and the kind of photos it was shown; check it on your own
photos before relying on it.
`;
}
