/**
 * sha256 as hex, with the browser's own digest: the train view's feature cache keys photos and
 * backbones by it, and the classify view shows a model's. Browsers offer it only to secure
 * contexts (https, localhost): elsewhere this says so.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!globalThis.crypto?.subtle)
    throw new Error('this page is not served over https or from localhost, so the browser offers no SHA-256');
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
