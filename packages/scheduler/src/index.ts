export { plan } from './plan/plan.js';
export { explain } from './plan/explain.js';
export { taskReads, checkTask } from './plan/reads.js';
export type { Strategy, Stage, StageKind, StageCost, Task, TilePlan, PlanOptions } from './plan/types.js';
export { PoolExecutor, type PoolExecutorOptions, type PoolRunOptions, type PoolStats, type RegionData } from './pool-executor.js';
export type { Fault } from './worker/messages.js';
