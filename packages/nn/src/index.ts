export { Model, INPUT, layerParams, type Layer, type LayerInfo } from './model.js';
export { ModelBuilder, type Node, type BuilderOptions, type Conv2dOptions } from './builder.js';
export { receptiveField, type ReceptiveField } from './receptive-field.js';
export { throwIfAborted, type Executor, type RunOptions } from './executor.js';
export { LocalExecutor, remainingReads, type LocalExecutorOptions } from './local-executor.js';
export { heNormal, uniform } from './init.js';
export { seedDilatedStack, vggBlockStack, type SeedStackOptions } from './zoo.js';
