/**
 * One result in the grid: the photo, top-k bars and latency. Raw numbers sit in data-*
 * attributes (top-1 label, all probabilities) so tests read exactly what the page computed.
 */
import type { Prediction } from '@ferry/core';
import { formatMs, h, percent } from './dom.js';

export interface ResultView {
  mode: 'local' | 'edge';
  predictions: Prediction[];
  /** Every label's probability in spec order (in-browser mode only: the API sends top-k). */
  probabilities?: ArrayLike<number>;
  /** Open-set models: the photo looks like none of `labels` (the model's own class names). */
  unknown?: boolean;
  oodScore?: number;
  labels?: readonly string[];
  /** Headline latency, and the breakdown shown under it. */
  totalMs: number;
  breakdown: string;
}

/**
 * The card's question for a photo the model thinks is none of its classes, in the model's own
 * class names: "Not ants or bees?", "Not daisy, iris or tulip?"; past four names, a count.
 */
export function unknownHeadline(labels: readonly string[]): string {
  if (labels.length === 0) return 'Not something this model knows?';
  if (labels.length > 4) return `None of the ${labels.length} things this model knows?`;
  if (labels.length === 1) return `Not ${labels[0]}?`;
  return `Not ${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}?`;
}

export interface ResultCard {
  element: HTMLLIElement;
  done(view: ResultView): void;
  fail(message: string): void;
}

export function createResultCard(name: string, previewUrl: string | null): ResultCard {
  const photo = h('div', { class: 'result-photo' }, h('div', { class: 'spinner', role: 'presentation' }));
  const top = h('p', { class: 'result-top' }, 'Classifying…');
  const body = h('div', { class: 'result-body' }, h('p', { class: 'result-name', title: name }, name), top);
  const element = h(
    'li',
    { class: 'result', 'data-status': 'pending', 'data-name': name, 'aria-busy': 'true' },
    photo,
    body,
  );
  if (previewUrl) {
    const img = h('img', { src: previewUrl, alt: name, decoding: 'async' });
    // Keep the spinner until the preview can paint, and skip the preview if the browser can't.
    img.addEventListener('load', () => photo.replaceChildren(img), { once: true });
    img.addEventListener('error', () => photo.replaceChildren(h('span', { class: 'muted' }, 'no preview')), {
      once: true,
    });
  }

  const settle = (status: 'done' | 'error') => {
    element.dataset.status = status;
    element.removeAttribute('aria-busy');
    const spinner = photo.querySelector('.spinner');
    if (spinner) photo.replaceChildren(h('span', { class: 'muted' }, 'no preview'));
  };

  return {
    element,
    done(view) {
      const best = view.predictions[0];
      element.dataset.mode = view.mode;
      element.dataset.top1 = best?.label ?? '';
      element.dataset.predictions = JSON.stringify(view.predictions);
      if (view.probabilities) element.dataset.probabilities = JSON.stringify(Array.from(view.probabilities));
      if (view.unknown !== undefined) element.dataset.unknown = String(view.unknown);
      if (view.oodScore !== undefined) element.dataset.oodScore = String(view.oodScore);
      top.textContent = best ? `${best.label} · ${percent(best.probability)}` : 'no prediction';
      if (view.unknown) {
        top.classList.add('result-unknown');
        top.textContent = unknownHeadline(view.labels ?? []);
        if (best)
          top.append(
            h('span', { class: 'result-closest' }, ` Closest: ${best.label} · ${percent(best.probability)}`),
          );
      }
      const bars = h(
        'ol',
        { class: 'bars', 'aria-label': 'Top predictions' },
        ...view.predictions.map((p) =>
          h(
            'li',
            { class: 'bar-row' },
            h('span', { class: 'bar-label', title: p.label }, p.label),
            h(
              'span',
              {
                class: 'bar-track',
                role: 'meter',
                'aria-valuemin': '0',
                'aria-valuemax': '100',
                'aria-valuenow': (p.probability * 100).toFixed(1),
                'aria-label': p.label,
              },
              h('span', { class: 'bar-fill', style: `width: ${(p.probability * 100).toFixed(2)}%` }),
            ),
            h('span', { class: 'bar-value' }, percent(p.probability)),
          ),
        ),
      );
      const meta = h(
        'p',
        { class: 'result-meta' },
        `${formatMs(view.totalMs)} ${view.mode === 'local' ? 'in this browser' : 'via edge API'}`,
        h('br'),
        view.breakdown,
      );
      body.append(bars, meta);
      settle('done');
    },
    fail(message) {
      top.textContent = 'Could not classify';
      element.dataset.error = message;
      body.append(h('p', { class: 'result-error' }, message));
      settle('error');
    },
  };
}
