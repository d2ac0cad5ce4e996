import { chain } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertSubtract: LayerConverter = (ctx) => [chain(ctx, 'Sub')];
