export * from './errors.js';
export * from './shape.js';
export * from './region.js';
export * from './tensor.js';
export * from './random.js';
