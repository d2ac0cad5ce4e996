import { chain } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertMultiply: LayerConverter = (ctx) => [chain(ctx, 'Mul')];
