/**
 * One upload's answer, without HTTP: the header check (image-input.ts), the runtime's decoder,
 * EXIF orientation, then core's classifier. The `/v1/classify` route reads the body and hands
 * it here; tests call it directly.
 */
import {
  applyOrientation,
  type ClassifyResponse,
  type DecodeRule,
  formatJpegScale,
  type Image,
  ImageError,
  type ImageHeader,
} from '@ferry/core';
import { HttpError } from './errors.js';
import { inspectImage } from './image-input.js';
import { formatPixels } from './limits.js';
import type { LoadedModel } from './model.js';

/**
 * Decodes validated image bytes to 8-bit RGB/RGBA pixels as stored (EXIF orientation not
 * applied), at the size the model's decode rule asks for (JPEG DCT scaling, box reduction of
 * other formats; `rule` is absent for model files from before the rule: full size).
 */
export type DecodeImage = ((
  bytes: Uint8Array,
  header: ImageHeader,
  rule: DecodeRule | undefined,
) => Promise<Image> | Image) & {
  /**
   * Set by decoders that decode a non-interlaced PNG or a WebP row by row into its box-reduced
   * frame (Workers' createJsDecoder): the pixel limit then counts what they hold, not the whole
   * frame.
   */
  streamsRows?: boolean;
};

export interface ClassifyInput {
  bytes: Uint8Array;
  model: LoadedModel;
  decodeImage: DecodeImage;
  /** The most pixels a decode may hold (FERRY_MAX_PIXELS). */
  maxPixels: number;
  topK: number;
  /**
   * Whether the clock advances during CPU work. Deployed Workers freeze it between I/O (a
   * Spectre mitigation), so timings measured there read 0: with false, an answer whose whole
   * decode + preprocess + inference measured 0 has `timing_ms: null` and a note instead.
   */
  clockAdvancesDuringCpu?: boolean;
}

export interface Classified {
  answer: ClassifyResponse;
  /** What the request log records (never user content). */
  image: { format: string; width: number; height: number };
  timing: { decode: number; preprocess: number; inference: number } | null;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const round = (ms: number): number => Math.round(ms * 100) / 100;

/** The answer for one upload's bytes; bad input throws an HttpError (4xx). */
export async function classify(input: ClassifyInput): Promise<Classified> {
  const { bytes, model, decodeImage } = input;
  const { header, rule, reduced } = inspectImage(
    bytes,
    input.maxPixels,
    model.spec.decode,
    decodeImage.streamsRows === true,
  );
  const image = { format: header.format, width: header.width, height: header.height };
  const t0 = now();
  let pixels: Image;
  try {
    pixels = applyOrientation(await decodeImage(bytes, header, rule), header.orientation);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'bad_image', `could not decode the ${header.format.toUpperCase()} image`);
  }
  const decodeMs = now() - t0;
  let result: Awaited<ReturnType<LoadedModel['classifier']['classify']>>;
  try {
    result = await model.classifier.classify(pixels, { topK: input.topK });
  } catch (error) {
    // Only a decoder that returned inconsistent pixels is the upload's fault; the rest is ours.
    if (error instanceof ImageError) throw new HttpError(400, 'bad_image', error.message);
    throw error;
  }
  const measured = decodeMs + result.timing_ms.preprocess + result.timing_ms.inference;
  const frozenClock = input.clockAdvancesDuringCpu === false && measured === 0;
  const timing = frozenClock
    ? null
    : {
        decode: round(decodeMs),
        preprocess: round(result.timing_ms.preprocess),
        inference: round(result.timing_ms.inference),
      };
  const answer: ClassifyResponse = {
    model: { name: model.spec.name, sha256: model.sha256, labels: model.spec.labels },
    predictions: result.predictions,
    // Open-set models (spec.openSet) also say whether the photo is none of their labels; the
    // top-k above is still the closest labels. Models exported before answer without them.
    ...(result.unknown === undefined ? {} : { unknown: result.unknown, ood_score: result.oodScore }),
    timing_ms: timing,
  };
  if (reduced) {
    answer.decode_note =
      `decoded at ${formatJpegScale(reduced.eighths)} scale (${reduced.width}x${reduced.height}) to fit this server's ` +
      `${formatPixels(input.maxPixels)} limit (FERRY_MAX_PIXELS): this model file has no decode rule, so ` +
      'large photos are not decoded exactly as in its training; a model trained with a current ferry has one';
  }
  if (frozenClock)
    answer.timing_note = "this runtime's clock does not advance during CPU work (deployed Workers)";
  return { answer, image, timing };
}
