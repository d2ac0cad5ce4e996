import { emitGlobalPool } from './pooling-common.js';
import type { LayerConverter } from './types.js';

export const convertGlobalAveragePooling2D: LayerConverter = (ctx) => [
  emitGlobalPool(ctx, 'GlobalAveragePool'),
];
