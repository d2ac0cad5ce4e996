import { emitGlobalPool } from './pooling-common.js';
import type { LayerConverter } from './types.js';

export const convertGlobalMaxPooling2D: LayerConverter = (ctx) => [emitGlobalPool(ctx, 'GlobalMaxPool')];
