export { GpuExecutor, type GpuExecutorOptions } from './gpu-executor.js';
export { GpuOpRunner, runGpuOp, type GpuOpResult } from './gpu-op-runner.js';
export {
  GpuBackend, backendOfKernel, glUnavailableReason,
  type GpuMode, type GpuBackendName, type GpuBackendOptions, type GpuStats, type DeviceValue,
} from './gpu-backend.js';
export { KernelCache, type Destroyable } from './kernel-cache.js';
export { GPU_OPS, gpuOpBuilder, type GpuOpBuilder, type GpuKernelPlan, type GpuKernelRequest, type InputLayout } from './ops/index.js';
