import { chain } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertAdd: LayerConverter = (ctx) => [chain(ctx, 'Add')];
