export { ClusterExecutor, type ClusterExecutorOptions, type ClusterStats, type ClusterConnection } from './cluster-executor.js';
export { TileWorker, checkInputs, type TileWorkerOptions, type TileWorkerStats } from './worker.js';
export { DEFAULT_NAMES, resolveNames, taskSubject, resultSubject, modelObjectName, type ClusterNames } from './names.js';
export { connectNats, type NatsCredentials } from './connect.js';
export { ensureTaskQueue, type QueueConfig } from './queue.js';
export { modelVersion, encodedModel, uploadModel, fetchModel } from './model-store.js';
export { startNatsServer, freePort, type NatsServerOptions, type LocalNatsServer } from './local/nats-server.js';
export { spawnWorker, type SpawnWorkerOptions, type SpawnedWorker } from './local/spawn-worker.js';
export { killAllTracked, trackedPids, OutputLines } from './local/processes.js';
