import { chain } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertMaximum: LayerConverter = (ctx) => [chain(ctx, 'Max')];
