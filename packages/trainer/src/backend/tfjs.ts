/** TensorFlow.js for the backend modules, loaded when they are (see ../commonjs-packages.ts). */
import { loadTfjs } from '../commonjs-packages.js';

export const tf = loadTfjs();
