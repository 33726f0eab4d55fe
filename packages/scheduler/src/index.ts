export { plan } from './plan/plan.js';
export { explain } from './plan/explain.js';
export { fusableRuns, isSpatiallyLocal } from './plan/segments.js';
export { taskReads, checkTask } from './plan/reads.js';
export type { Strategy, Stage, StageKind, StageWork, StageCost, Task, TilePlan, PlanOptions } from './plan/types.js';
export { PoolExecutor, type PoolExecutorOptions, type PoolRunOptions, type PoolStats, type RegionData } from './pool-executor.js';
export { assignBuffers } from './buffers.js';
export type { ModelPayload, StageMessage, StageReply, SharedMap, Fault, TaskError } from './worker/messages.js';
export { runTask, runStage, modelFromPayload } from './worker/run-task.js';
