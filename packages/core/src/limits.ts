/**
 * The numbers every runtime must agree on about an uploaded photo, defined once: the edge API
 * (both adapters, as defaults its env vars may override), the web page (before it decodes) and
 * the CLI (sharp's decompression-bomb guard when it reads photos).
 */

const MiB = 1024 * 1024;

/** Largest request body the edge API accepts (413 `body_too_large`; FERRY_MAX_BODY_BYTES overrides). */
export const MAX_UPLOAD_BYTES = 10 * MiB;

/**
 * Largest file the web page accepts per photo. The page decodes on the user's own machine, so it
 * has allowed more than the edge API; a photo between the two works in the browser mode only.
 */
export const PAGE_MAX_UPLOAD_BYTES = 20 * MiB;

/**
 * Largest width x height the edge API and the web page classify, read from the image header
 * before any pixel is decoded (413 `image_too_large`; FERRY_MAX_PIXELS overrides on the edge).
 */
export const MAX_PIXELS = 40_000_000;

/**
 * What one decode may hold in a Workers isolate (128 MB for the model, the wasm heaps and every
 * request at once), in frame pixels of about 16 bytes each at a whole-frame decode's peak
 * (bench/isolate-memory.mjs: the codec's buffers, the RGBA frame, the RGB copy preprocessing
 * starts from). What counts is what the decoder really holds (edge-api's decodeCost): a baseline
 * JPEG its decode-rule frame (a 12-MP photo is 0.19 MP at 1/8); a progressive JPEG that plus
 * its coefficient store, twice since the wasm heap stays (at 1/8 only what the IDCTs read: a
 * 12-MP photo 1.1 MP, 16 MP 1.5 MP); a PNG its box-reduced frame, streamed row by row; a WebP
 * that frame plus libwebp's heap (lossy: a few rows; lossless or with alpha: 4-5 bytes a pixel,
 * twice); GIF and interlaced PNG their whole frame. Measured at this limit with the model loaded
 * (40 MiB): 16 mixed uploads at once (every kind, each at the most the limit admits) peak at
 * 112 MiB, 16 lossless WebPs at the limit at 97 MiB; so the limit is not higher.
 */
export const WORKERS_MAX_PIXELS = 3_000_000;

/**
 * Requests the edge API reads + decodes + classifies at once (FERRY_MAX_DECODES): one per Workers
 * isolate (one thread: more would only hold more bodies and frames at the same time), a few on
 * Node (sharp decodes on its thread pool). The others wait with their body unread.
 */
export const MAX_DECODES = 4;
export const WORKERS_MAX_DECODES = 1;

/** Classify requests waiting beyond those decoding; one more is a 503 (FERRY_MAX_QUEUE). */
export const MAX_QUEUE = 64;
export const WORKERS_MAX_QUEUE = 32;

/** Seconds a classify request waits in that queue before it gets the 503 instead. */
export const QUEUE_WAIT_SECONDS = 60;

/**
 * Seconds the edge API gives an upload's body to arrive once it starts reading it
 * (FERRY_BODY_TIMEOUT_S; past it, 408). Bodies are read only while holding a decode slot, so a
 * slow uploader would otherwise hold the slot for everyone queued behind it: 10 MiB at 3 Mbit/s
 * arrives in 28 s.
 */
export const BODY_TIMEOUT_SECONDS = 30;

/** Largest width x height the CLI decodes (training photos, `ferry predict`): far above any photo. */
export const CLI_MAX_PIXELS = 64_000_000;

/** Predictions in an answer when the request does not say (`top_k`). */
export const DEFAULT_TOP_K = 5;
