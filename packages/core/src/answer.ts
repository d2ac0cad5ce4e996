/**
 * The answer to "what is in this photo?" as every runtime gives it: `POST /v1/classify` on the
 * edge API returns a `ClassifyResponse`; the web page shows its `predictions`; `ferry predict`
 * prints the same `Prediction`s.
 */
import type { Prediction } from './postprocess.js';

export type { Prediction };

export interface ClassifyResponse {
  model: { name: string; sha256: string; labels: string[] };
  /** Most probable first (for an unknown photo: the closest labels). */
  predictions: Prediction[];
  /** Open-set models only (spec.openSet): the photo looks like none of the labels. */
  unknown?: boolean;
  /** Open-set models only: the score behind `unknown` (higher = less like the training photos). */
  ood_score?: number;
  /**
   * Where each millisecond went; null where the clock does not advance during CPU work
   * (deployed Workers), with `timing_note` saying so.
   */
  timing_ms: Partial<Record<'decode' | 'preprocess' | 'inference', number>> | null;
  timing_note?: string;
  /**
   * Set when the photo was decoded smaller than the model's own rule asks, to fit the server's
   * pixel limit (a model file from before the decode rule, on Workers): says so and the fix.
   */
  decode_note?: string;
}
