export { isUnknown } from './answer.js';
export {
  expectedCalibrationError,
  fitTemperature,
  nllAtTemperature,
  type ReliabilityBin,
  reliabilityBins,
  softmaxWithTemperature,
} from './calibration.js';
export { auroc, fprAtTpr, rejectedShare, thresholdForRejectRate } from './metrics.js';
