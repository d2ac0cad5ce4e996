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

/** Largest width x height the CLI decodes (training photos, `ferry predict`): far above any photo. */
export const CLI_MAX_PIXELS = 64_000_000;

/** Predictions in an answer when the request does not say (`top_k`). */
export const DEFAULT_TOP_K = 5;
