export { plan } from './plan/plan.js';
export { explain } from './plan/explain.js';
export { taskReads, checkTask } from './plan/reads.js';
export type { Strategy, Stage, StageKind, StageCost, Task, TilePlan, PlanOptions } from './plan/types.js';
export { planMemory, shareMemory, tileMemory, type MemoryNeed } from './memory.js';
export { layoutBuffers, type BufferLayout } from './buffers.js';
export { PoolExecutor, type PoolExecutorOptions, type PoolRunOptions, type PoolRunAllOptions, type PoolStats, type RegionData } from './pool-executor.js';
export type { Fault } from './worker/messages.js';
