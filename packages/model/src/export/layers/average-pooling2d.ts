import { emitPool } from './pooling-common.js';
import type { LayerConverter } from './types.js';

export const convertAveragePooling2D: LayerConverter = (ctx) => [emitPool(ctx, 'AveragePool')];
