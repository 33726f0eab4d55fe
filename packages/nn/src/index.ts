export { Model, INPUT, inputNode, DEFAULT_INPUT_NAME, DEFAULT_OUTPUT_NAME, layerParams, type ModelInput, type InputShapes, type ModelOutput, type Layer, type LayerInfo, type MemoryStep, type PeakMemory } from './model.js';
export { defaultMemoryBudget, resolveMemoryBudget, checkMemoryBudget } from './memory-budget.js';
export { ModelBuilder, type Node, type BuilderOptions, type Conv2dOptions } from './builder.js';
export { fuseLayers } from './fuse.js';
export { receptiveField, type ReceptiveField } from './receptive-field.js';
export {
  throwIfAborted, checkOut, checkRunOptions, checkOneOutput, checkOneInput, inputTensors, outputRecord, RUN_OPTION_KEYS, RUN_ALL_OPTION_KEYS, STREAM_OPTION_KEYS, runBatch, runStream, inOrder,
  type Executor, type ModelInputs, type RunOptions, type RunAllOptions, type StreamOptions,
} from './executor.js';
export { LocalExecutor, remainingReads, type LocalExecutorOptions } from './local-executor.js';
export { heNormal, uniform } from './init.js';
export { seedDilatedStack, vggBlockStack, type SeedStackOptions } from './zoo.js';
export { multiHeadNet, type MultiHeadOptions } from './zoo/multi-head.js';
export { twoInputNet } from './zoo/two-input.js';
export { loadFaceApiWeights, faceApiModelDir, faceApiManifest } from './weights/face-api.js';
export { faceNetInput, squarePadding, stackBatch, type SquarePadding } from './zoo/face/input.js';
export { faceRecognitionNet, recognitionInput, RECOGNITION_MEAN, RECOGNITION_SIZE } from './zoo/face/recognition.js';
export {
  tinyFaceDetectorNet, detectorInput, decodeDetections, boxIou, nms, DETECTOR_MEAN, DETECTOR_ANCHORS,
  type FaceBox, type DecodeOptions,
} from './zoo/face/detector.js';
export { faceLandmark68Net, landmarksInput, landmarkPoints, LANDMARKS_SIZE } from './zoo/face/landmarks.js';
export {
  ssdMobilenetv1Net, ssdInput, ssdPriors, decodeSsdDetections, SSD_SIZE, SSD_HEADS, SSD_BOXES, type SsdDecodeOptions,
} from './zoo/face/ssd-mobilenetv1.js';
