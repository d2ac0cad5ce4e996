import { emitPool } from './pooling-common.js';
import type { LayerConverter } from './types.js';

export const convertMaxPooling2D: LayerConverter = (ctx) => [emitPool(ctx, 'MaxPool')];
