export { GpuExecutor, type GpuExecutorOptions } from './gpu-executor.js';
export { GpuOpRunner, runGpuOp, type GpuOpResult } from './gpu-op-runner.js';
export {
  backendOfKernel, glUnavailableReason, type GpuMode, type GpuBackendName, type GpuBackendOptions, type GpuStats,
} from './gpu-backend.js';
