import { type LayerConverter, single } from './types.js';

/** Dropout and friends are the identity at inference: no node at all. */
export const convertIdentity: LayerConverter = (ctx) => [single(ctx)];
