/**
 * Which backbone the page trains on: `ferry train`'s default from @ferry/model's registry, read
 * from the site's own copy (`backbones/<id>/model.json`, which `npm run demo` serves from the
 * models it has) or else the public URL the trainer downloads; `?backbone=URL&featureLayer=NAME`
 * names another Keras model.json, as `ferry train --backbone URL --feature-layer NAME` does.
 */
import type { Normalization } from '@ferry/core';
import { DEFAULT_BACKBONE, findBackbone } from '@ferry/model';
import type { BackboneRequest } from './protocol.js';

/** `ferry train`'s normalization for backbones outside the registry (backbones/resolve.ts). */
const MINUS_ONE_ONE: Normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 };

export function backboneRequest(location: Location = window.location): BackboneRequest {
  const params = new URLSearchParams(location.search);
  const custom = params.get('backbone');
  const known = findBackbone(custom ?? DEFAULT_BACKBONE);
  if (known) {
    return {
      id: known.id,
      urls: [new URL(`../backbones/${known.id}/model.json`, document.baseURI).href, known.url],
      featureLayer: params.get('featureLayer') ?? known.featureLayer,
      normalization: known.normalization,
      source: known.url,
    };
  }
  const url = new URL(custom!, document.baseURI).href;
  const featureLayer = params.get('featureLayer');
  if (!featureLayer)
    throw new Error(`?backbone=${custom} is not a known backbone: also pass &featureLayer=NAME`);
  return { id: url, urls: [url], featureLayer, normalization: MINUS_ONE_ONE, source: url };
}
